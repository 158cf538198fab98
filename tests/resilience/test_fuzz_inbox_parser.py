"""Property-based tests of what reads an incoming activity: the bounded JSON parser, the
vocabulary reader and the whole verified inbox pipeline (`federation.inbox.receive`),
fed random JSON, random bytes and mutated payloads captured from real servers.

Documented outcomes only: `parse_json`/`parse_json_object` return or raise `JsonError`;
`parse_activity`/`parse_object` return or raise a `ProtocolError`; `receive` always
returns `Accepted`, `Ignored` or `Rejected` and never raises.

`receive` runs with the production parser, signature verifier, authorisation and proof
check. Its ports are small doubles: the key resolver answers every key id with the test
keys, owned by the activity's own actor (so hostile documents get past the signature and
reach every later step), the policy blocks nobody, and the store keeps what it is given
in a list -- what is committed is not under test here, only that nothing raises.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from activitypub import keys
from activitypub.audience import classify, recipients
from activitypub.errors import ProtocolError
from activitypub.jsonparse import JsonError, parse_json, parse_json_object
from activitypub.request_signing import HttpRequestParts, sign_request
from activitypub.vocab import parse_activity, parse_object
from federation.authorise import value_id
from federation.inbox import Accepted, Ignored, InboxContext, InboxLimits, Rejected, receive
from federation.ports import ResolvedKey
from tests.harness import Instance
from tests.resilience.fuzzing import (
    ABSENT,
    ACTIVITIES,
    BOUNDED,
    JSON,
    load_payloads,
    mutate_bytes,
    mutate_document,
)

REAL = load_payloads()
KEY = keys.generate_ed25519_key()
INBOX = "https://buurt.test/inbox"
KEY_ID = "https://peer.example/users/bob#main-key"
MAX_DEPTH = 8
MAX_ITEMS = 5
needs_payloads = pytest.mark.skipif(not REAL, reason=ABSENT)


def depth_and_width(value: Any) -> tuple[int, int]:
    """Nesting depth (a container counts one level) and the largest container size."""
    if isinstance(value, dict):
        children: list[Any] = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return 0, 0
    inner = [depth_and_width(child) for child in children]
    return 1 + max((d for d, _ in inner), default=0), max([len(children), *(w for _, w in inner)])


def nested(levels: int) -> Any:
    value: Any = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"a": value}
    return value


@dataclass
class Doubles:
    """KeyResolver, InboxPolicy and InboxStore for `receive` (see the module docstring)."""

    owner: str
    stored: list[dict[str, Any]] = field(default_factory=list)

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey | None:
        return ResolvedKey(key_id=key_id, owner=self.owner, public_key=KEY.public_key(), fetched_at=datetime.now(UTC))

    async def is_blocked(self, actor: str) -> bool:
        return False

    async def is_known_actor(self, actor: str) -> bool:
        return True

    async def store(self, activity_id: str, actor: str, document: dict[str, Any], recipient: str | None) -> bool:
        self.stored.append(document)
        return True


def run_inbox(body: bytes) -> Accepted | Ignored | Rejected:
    """`body`, correctly signed, through the inbox pipeline."""
    try:
        owner = value_id(orjson.loads(body).get("actor")) or ""
    except (orjson.JSONDecodeError, AttributeError):
        owner = ""
    now = datetime.now(UTC)
    headers = sign_request(
        "POST", INBOX, {"Content-Type": "application/activity+json"}, body, key_id=KEY_ID, private_key=KEY, now=now
    )
    parts = HttpRequestParts("POST", INBOX, {k.lower(): v for k, v in headers.items()}, body)
    doubles = Doubles(owner)
    ctx = InboxContext("https://buurt.test", doubles, doubles, doubles, InboxLimits(max_depth=32))
    outcome = asyncio.run(receive(parts, ctx, now=now))
    assert isinstance(outcome, Accepted | Ignored | Rejected), outcome
    if isinstance(outcome, Accepted):
        assert len(doubles.stored) == 1 and doubles.stored[0]["id"] == outcome.activity_id
    else:
        assert doubles.stored == []
    return outcome


def read_document(document: Any) -> None:
    """The vocabulary reader and the audience helpers on a parsed document."""
    for reader in (parse_activity, parse_object):
        try:
            reader(document)
        except ProtocolError:
            pass
    if isinstance(document, dict):
        classify(document, "https://peer.example/users/bob/followers", members_urls=["https://buurt.test/m"])
        recipients(document)


@BOUNDED
@given(JSON)
def test_parser_refuses_exactly_what_exceeds_its_limits(value: Any) -> None:
    body = orjson.dumps(value)
    depth, width = depth_and_width(value)
    try:
        parsed = parse_json(body, max_depth=MAX_DEPTH, max_items=MAX_ITEMS)
    except JsonError:
        assert depth > MAX_DEPTH or width > MAX_ITEMS
    else:
        assert depth <= MAX_DEPTH and width <= MAX_ITEMS
        assert parsed == orjson.loads(body)


def test_parser_limits_hold_at_their_edges() -> None:
    assert parse_json(orjson.dumps(nested(32))) is not None
    with pytest.raises(JsonError, match="deeper"):
        parse_json(orjson.dumps(nested(33)))
    with pytest.raises(JsonError, match="members"):
        parse_json(orjson.dumps({"to": ["x"] * 1001}))
    with pytest.raises(JsonError, match="depth"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)  # far past orjson's own recursion limit


@BOUNDED
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_bytes_parse_or_raise_json_error_only(body: bytes) -> None:
    try:
        document = parse_json_object(body)
    except JsonError:
        return
    assert isinstance(document, dict)
    read_document(document)


@BOUNDED
@given(ACTIVITIES)
def test_hostile_activities_get_a_documented_outcome(activity: dict[str, Any]) -> None:
    read_document(activity)
    outcome = run_inbox(orjson.dumps(activity))
    if isinstance(outcome, Accepted):
        assert isinstance(activity["id"], str) and activity["id"].startswith(("https://", "http://"))


@needs_payloads
@BOUNDED
@given(st.data())
def test_mutated_real_payloads_get_a_documented_outcome(data: st.DataObject) -> None:
    document = mutate_document(data, data.draw(st.sampled_from(REAL), label="payload"))
    read_document(document)
    run_inbox(orjson.dumps(document))


@needs_payloads
@BOUNDED
@given(st.data())
def test_byte_mutated_real_payloads_get_a_documented_outcome(data: st.DataObject) -> None:
    raw = mutate_bytes(data, orjson.dumps(data.draw(st.sampled_from(REAL), label="payload")))
    try:
        read_document(parse_json_object(raw))
    except JsonError:
        pass
    run_inbox(raw)


@needs_payloads
def test_every_real_payload_gets_a_documented_outcome() -> None:
    """The unmutated corpus, as a baseline for the mutations above."""
    outcomes = [run_inbox(orjson.dumps(document)) for document in REAL]
    assert any(isinstance(o, Accepted) for o in outcomes)


async def test_an_unparseable_id_is_refused_over_http_not_a_500(instance: Instance) -> None:
    """Found by the properties above: a port out of range in the actor's id raised in the
    origin check. Over HTTP: 400 for every such id, before any key is looked up."""
    for bad in ("https://peer.example:99999/users/bob", "https://peer.example:abc/x", "https://[::1/x"):
        activity = {"id": "https://peer.example/a/1", "type": "Like", "actor": bad, "object": "https://peer.example/n"}
        for document in (activity, dict(activity, id=bad, actor="https://peer.example/users/bob")):
            body = orjson.dumps(document)
            headers = {"Content-Type": "application/activity+json"}
            async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
                assert resp.status == 400, (document, resp.status, await resp.text())
