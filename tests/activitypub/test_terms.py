"""OUR_CONTEXT really defines every term our builders emit.

The defined-term set is computed from the context documents themselves (pyld's
bundled AS2 and security-v1 copies, our bundled data-integrity copy) plus the
inline map, and each emitted document is also JSON-LD-expanded to prove no key
is silently dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from pyld.documentloader.frozen import BUNDLED_CONTEXTS, FrozenDocumentLoader

from activitypub import terms
from activitypub.collections import build_ordered_collection, build_ordered_collection_page
from activitypub.vocab import (
    Event,
    Hashtag,
    Image,
    Mention,
    Place,
    PostalAddress,
    build_activity,
    build_actor,
    build_note,
    build_tombstone,
)

DI_PATH = Path(terms.__file__).parent / "contexts" / "data-integrity-v1.jsonld"
NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
ACTOR = "https://buurt.example/users/anna"


def _context_terms(url: str) -> set[str]:
    path = DI_PATH if url == terms.DATA_INTEGRITY_V1_CONTEXT else BUNDLED_CONTEXTS[url]
    context = json.loads(Path(path).read_text(encoding="utf-8"))["@context"]
    found: set[str] = set()
    for part in context if isinstance(context, list) else [context]:
        if isinstance(part, dict):
            found |= {k for k in part if not k.startswith("@")}
    return found


def _defined() -> tuple[set[str], set[str]]:
    remote = set().union(*(_context_terms(u) for u in terms.OUR_CONTEXT if isinstance(u, str)))
    inline = terms.OUR_CONTEXT[-1]
    prefixes = {k for k, v in inline.items() if isinstance(v, str) and v.endswith(("#", "/"))}
    return remote | set(inline), prefixes


def _emitted() -> dict[str, dict[str, Any]]:
    event = Event(
        id="https://buurt.example/events/1",
        name="Buurtborrel",
        start_time="2024-06-01T17:00:00Z",
        join_mode="free",
        timezone="Europe/Amsterdam",
        status="CONFIRMED",
        is_online=False,
        location=(
            Place(
                name="Buurthuis",
                latitude=52.1,
                longitude=5.1,
                address=PostalAddress(street_address="Dorpsstraat 1", postal_code="1234 AB"),
            ),
        ),
    )
    return {
        "actor": build_actor(
            actor_id=ACTOR,
            preferred_username="anna",
            inbox=ACTOR + "/inbox",
            outbox=ACTOR + "/outbox",
            followers=ACTOR + "/followers",
            following=ACTOR + "/following",
            featured=ACTOR + "/featured",
            shared_inbox="https://buurt.example/inbox",
            public_key_pem="PEM",
            ed25519_multibase="z6Mk",
            name="Anna",
            summary="hi",
            url="https://buurt.example/@anna",
            icon=Image(url=("https://buurt.example/a.png",), media_type="image/png"),
            also_known_as=["https://old.example/anna"],
            moved_to="https://new.example/anna",
            published=NOW,
            fields=[("Buurt", "Oost")],
        ),
        "note": build_note(
            id="https://buurt.example/notes/1",
            attributed_to=ACTOR,
            content="<p>hoi</p>",
            published=NOW,
            to=[terms.PUBLIC],
            cc=[ACTOR + "/followers"],
            language="nl",
            sensitive=True,
            summary="cw",
            in_reply_to="https://x.example/1",
            tags=[
                Hashtag(name="#buurt", href="https://buurt.example/tags/buurt"),
                Mention(name="@b@x.example", href="https://x.example/b"),
            ],
            attachments=[
                Image(
                    url=("https://buurt.example/i.png",),
                    media_type="image/png",
                    name="alt",
                    width=10,
                    height=10,
                    blurhash="LEHV6n",
                )
            ],
        ),
        "activity": build_activity(
            "Move",
            "https://buurt.example/move/1",
            ACTOR,
            ACTOR,
            [terms.PUBLIC],
            [],
            published=NOW,
            target="https://new.example/anna",
        ),
        "tombstone": build_tombstone("https://buurt.example/notes/2", former_type="Note", deleted=NOW),
        "event": event.to_json(),
        "collection": build_ordered_collection(ACTOR + "/outbox", total_items=3, first_cursor="a", last_cursor="z"),
        "page": build_ordered_collection_page(
            ACTOR + "/outbox", "a", ["https://x/1"], next_cursor="b", prev_cursor="0"
        ),
    }


LANGUAGE_MAPS = {"contentMap", "nameMap", "summaryMap"}


def _keys(value: Any) -> set[str]:
    """Every property name used, at any depth (not @context, not language tags)."""
    if isinstance(value, dict):
        inner = [_keys(v) for k, v in value.items() if k != "@context" and k not in LANGUAGE_MAPS]
        return (set(value) - {"@context"}).union(*inner)
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def test_our_claimed_as2_and_security_terms_exist_in_the_real_contexts() -> None:
    assert terms.AS2_TERMS <= _context_terms(terms.AS2_CONTEXT)
    security = _context_terms(terms.SECURITY_V1_CONTEXT)
    assert terms.SECURITY_TERMS <= security | _context_terms(terms.DATA_INTEGRITY_V1_CONTEXT)


def test_our_context_shape() -> None:
    assert terms.OUR_CONTEXT[:3] == [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/data-integrity/v1",
    ]
    inline = terms.OUR_CONTEXT[3]
    for term in (
        "manuallyApprovesFollowers",
        "discoverable",
        "indexable",
        "featured",
        "movedTo",
        "sensitive",
        "Hashtag",
        "PropertyValue",
        "value",
        "joinMode",
        "timezone",
        "Multikey",
        "assertionMethod",
        "publicKeyMultibase",
    ):
        assert term in inline
    assert inline["movedTo"] == {"@id": "as:movedTo", "@type": "@id"}


@pytest.mark.parametrize("name", sorted(_emitted()))
def test_every_emitted_key_is_defined(name: str) -> None:
    doc = _emitted()[name]
    assert doc["@context"] == terms.OUR_CONTEXT
    defined, prefixes = _defined()
    undefined = {k for k in _keys(doc) if k not in defined and k.partition(":")[0] not in prefixes}
    assert not undefined, f"{name} emits undefined terms {undefined}"
    assert all(terms.is_defined_term(k) for k in _keys(doc))


def test_undefined_key_is_detected() -> None:
    defined, _ = _defined()
    assert "atomUri" not in defined and not terms.is_defined_term("atomUri")
    assert not terms.is_defined_term("nope:thing")
    assert terms.is_defined_term("ical:status")


@pytest.mark.parametrize("name", sorted(_emitted()))
def test_expansion_keeps_every_top_level_key(name: str) -> None:
    doc = _emitted()[name]
    loader = FrozenDocumentLoader(documents=dict(BUNDLED_CONTEXTS, **{terms.DATA_INTEGRITY_V1_CONTEXT: DI_PATH}))
    expanded = jsonld.expand(doc, {"documentLoader": loader})
    assert len(expanded) == 1
    # everything but @context survives; a language map merges with its plain property
    merged = {k.removesuffix("Map") if k in LANGUAGE_MAPS else k for k in doc} - {"@context"}
    assert len(expanded[0]) == len(merged)
    assert not _blank_predicates(expanded), "terms fell through to AS2's @vocab _:"


def _blank_predicates(value: Any) -> set[str]:
    """Predicates that expanded to blank-node IRIs, i.e. terms no context defined."""
    if isinstance(value, list):
        return set().union(*(_blank_predicates(v) for v in value))
    if isinstance(value, dict):
        own = {k for k in value if k.startswith("_:")}
        return own.union(*(_blank_predicates(v) for v in value.values()))
    return set()


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/activity+json", True),
        ("Application/Activity+JSON; charset=utf-8", True),
        ('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', True),
        ('application/ld+json;profile="http://www.w3.org/ns/activitystreams"', True),
        (f'application/ld+json; profile="https://example.com/x {terms.AS2_CONTEXT}"', True),
        ("application/ld+json", True),
        ('application/ld+json; profile="https://example.com/other"', False),
        ("application/json", False),
        ("text/html", False),
        ("", False),
    ],
)
def test_is_as2_media_type(content_type: str, expected: bool) -> None:
    assert terms.is_as2_media_type(content_type) is expected


def test_public_constant() -> None:
    assert terms.PUBLIC == "https://www.w3.org/ns/activitystreams#Public"
    assert {"as:Public", "Public", terms.PUBLIC} <= terms.PUBLIC_SPELLINGS


def test_expansion_check_would_catch_an_undefined_key() -> None:
    doc = dict(_emitted()["tombstone"], atomUri="https://x.example/1")
    loader = FrozenDocumentLoader(documents=dict(BUNDLED_CONTEXTS, **{terms.DATA_INTEGRITY_V1_CONTEXT: DI_PATH}))
    expanded = jsonld.expand(doc, {"documentLoader": loader})
    assert "_:atomUri" in _blank_predicates(expanded)  # AS2's "@vocab": "_:" catches it
