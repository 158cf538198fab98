"""Run one foreign activity through the real inbox pipeline of a running instance, offline.

The payloads' ids are on foreign hosts that cannot be reached from the test machine, so:
* the signature is made with a test key, and `ForeignKeys` (a test double of the key
  resolver only) says that key belongs to the payload's actor -- HTTP signatures against
  real keys are covered by tests/activitypub and tests/e2e; an FEP-8b32 proof in the
  payload is re-made with the double's Ed25519 key under the same verificationMethod;
* like the real resolver, resolving the key stores the actor (the corpus' own document of
  that actor when there is one, else a minimal Person), with the test key;
* every network fetch fails cleanly: `OfflineResolver` refuses every host name, so the
  fetcher answers `Unavailable` and the handlers must cope.
Everything else is the production code: `federation.inbox.receive`, the queue table, the
worker's `process_item` and the handler dispatcher, against the instance's PostgreSQL.
"""

from __future__ import annotations

import copy
import json
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult

from activitypub import keys
from activitypub.proofs import proof_verification_method, sign_object
from activitypub.request_signing import HttpRequestParts, sign_request
from federation.actors import RemoteActor, read_actor
from federation.authorise import ACTOR_TYPES, origin, value_id
from federation.http import HttpClient
from federation.inbox import Accepted, InboxContext, Outcome, receive
from federation.ports import ResolvedKey
from server.appkeys import INSTANCE_ACTOR, KEYRING, METRICS
from server.remote import RemoteActors, make_signer
from server.routes.inbox import QueueStore, WakeThrottle
from server.storage import inbox as inbox_store
from server.workers import Workers
from tests.harness import REPO, Instance

PAYLOADS = REPO.parent / "shared" / "interop" / "payloads"
ABSENT = f"interop payloads not found at {PAYLOADS} (../shared/ is absent in a fresh clone)"
RSA_KEY = keys.generate_rsa_key()
ED25519_KEY = keys.generate_ed25519_key()


class OfflineResolver(AbstractResolver):
    """Resolves no host name: every outbound fetch fails as the network being away."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(f"offline test: {host} is not resolved")

    async def close(self) -> None:
        return None


def corpus_actors() -> dict[str, dict[str, Any]]:
    """Actor documents of the corpus by id (the real shapes of the senders, where known)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(PAYLOADS.rglob("objects/*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("type") in ACTOR_TYPES and isinstance(doc.get("id"), str):
            found[doc["id"]] = doc
    return found


def sender_document(actor_id: str, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sender's actor document, carrying the test key as its only key."""
    name = actor_id.rstrip("/").rsplit("/", 1)[-1].lstrip("@") or "actor"
    minimal = {"id": actor_id, "type": "Person", "preferredUsername": name, "inbox": actor_id + "/inbox"}
    doc: dict[str, Any] = copy.deepcopy(known.get(actor_id) or minimal)
    doc["publicKey"] = {
        "id": key_id_of(actor_id),
        "owner": actor_id,
        "publicKeyPem": keys.public_key_to_pem(RSA_KEY.public_key()),
    }
    doc.pop("assertionMethod", None)
    if origin(value_id(doc.get("inbox")) or "") != origin(actor_id):
        doc["inbox"] = actor_id + "/inbox"
    return doc


def key_id_of(actor_id: str) -> str:
    return actor_id + "#main-key"


@dataclass
class ForeignKeys:
    """federation.ports.KeyResolver test double: the test keys, owned by the payload's actor."""

    remote: RemoteActors
    actor_id: str
    known: dict[str, dict[str, Any]]
    proof_method: str | None = None

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey | None:
        actor = read_actor(sender_document(self.actor_id, self.known))
        if isinstance(actor, RemoteActor):
            await self.remote.store(actor)
        if key_id == self.proof_method:
            public: keys.PublicKey = ED25519_KEY.public_key()
        elif key_id == key_id_of(self.actor_id):
            public = RSA_KEY.public_key()
        else:
            return None
        return ResolvedKey(key_id=key_id, owner=self.actor_id, public_key=public, fetched_at=datetime.now(UTC))


def with_our_proof(activity: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A payload's FEP-8b32 proof re-made with the test Ed25519 key (same method id)."""
    method = proof_verification_method(activity)
    if method is None:
        return activity, None
    unsigned = {k: v for k, v in activity.items() if k != "proof"}
    return sign_object(unsigned, ED25519_KEY, verification_method=method, created=datetime.now(UTC)), method


@dataclass(frozen=True)
class PipelineResult:
    outcome: Outcome
    state: str | None  # the inbox_items row's final state, when one was stored
    reason: str | None


def signed_parts(inst: Instance, activity: dict[str, Any], actor_id: str) -> HttpRequestParts:
    body = json.dumps(activity).encode()
    url = inst.url("/inbox")
    headers = sign_request(
        "POST",
        url,
        {"Content-Type": "application/activity+json"},
        body,
        key_id=key_id_of(actor_id),
        private_key=RSA_KEY,
        now=datetime.now(UTC),
    )
    return HttpRequestParts(method="POST", url=url, headers={k.lower(): v for k, v in headers.items()}, body=body)


class OfflinePipeline:
    """receive → queue → process_item with every fetch failing; use as ``async with``."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.http = HttpClient(inst.base_url, resolver=OfflineResolver())
        self.known = corpus_actors() if PAYLOADS.is_dir() else {}

    async def __aenter__(self) -> OfflinePipeline:
        await self.http.__aenter__()
        keyring = self.inst.app[KEYRING]
        signing = await keyring.for_actor(self.inst.app[INSTANCE_ACTOR].id)
        self.remote = RemoteActors(self.inst.pool, self.http, lambda: make_signer(signing))
        self.workers = Workers(
            self.inst.settings, self.inst.pool, self.http, keyring, self.remote, self.inst.app[METRICS]
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.__aexit__(None, None, None)

    async def run(self, activity: dict[str, Any]) -> PipelineResult:
        actor_id = value_id(activity.get("actor")) or ""
        activity, method = with_our_proof(activity)
        ctx = InboxContext(
            local_origin=self.inst.settings.base_url,
            keys=ForeignKeys(self.remote, actor_id, self.known, method),
            store=QueueStore(self.inst.pool, None, WakeThrottle()),
            policy=self.remote,
        )
        outcome = await receive(signed_parts(self.inst, activity, actor_id), ctx, now=datetime.now(UTC))
        if not isinstance(outcome, Accepted) or outcome.duplicate:
            return PipelineResult(outcome, None, None)
        for item in await inbox_store.claim_items(self.inst.pool, 100, 60, worker="interop"):
            await self.workers.process_item(item)
        row = await self.inst.pool.fetchrow(
            "SELECT state, last_error FROM inbox_items WHERE activity_id = $1", outcome.activity_id
        )
        assert row is not None
        return PipelineResult(outcome, row["state"], row["last_error"])


def load(relative: str | Path) -> dict[str, Any]:
    data = json.loads((PAYLOADS / relative).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data
