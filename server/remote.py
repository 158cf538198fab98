"""Remote actors and keys through the cache in PostgreSQL, else a signed fetch.

Implements `federation.ports.KeyResolver` and `InboxPolicy`. A key is refetched on a failed
verification at most once per REFRESH_INTERVAL, so a forged signature costs no
amplification; an actor cache entry older than ACTOR_TTL is refreshed on use. A host the
domain policy refuses is never fetched from (the HTTP client's host guard): the caller
gets what an unreachable host gives.
"""

from __future__ import annotations

import copy
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

from activitypub import keys
from activitypub.request_signing import PendingSignature, prepare_cavage_request, raw_sign, sign_request
from activitypub.signatures import Scheme
from federation.actors import RemoteActor, fetch_actor, fetch_key_owner
from federation.fetch import Fetched, fetch_object
from federation.http import HttpClient, RequestError
from federation.ports import RequestSigner, ResolvedKey
from server.fetch_budget import FetchBudget
from server.keyring import SigningKeys
from server.outgoing_policy import OutgoingPolicy
from server.storage import actors as actor_store
from server.storage import instance_policy
from server.storage.actors import ActorRow
from server.storage.pool import Pool

log = logging.getLogger(__name__)
REFRESH_INTERVAL = timedelta(minutes=5)
KEY_MEMORY_SECONDS = 60.0  # a key found in this process is reused this long without a query
KEY_MEMORY_SIZE = 10_000
ACTOR_TTL = timedelta(days=1)
Clock = Callable[[], datetime]


@lru_cache(maxsize=4096)
def parsed_public_key(pem: str) -> keys.PublicKey:
    """Parsing a PEM costs more than verifying with it: keep the parsed keys of busy senders."""
    return keys.load_public_key(pem)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_signer(signing: SigningKeys, clock: Clock = utcnow, scheme: Scheme = "cavage") -> RequestSigner:
    """A RequestSigner for `signing`'s actor: draft-cavage with RSA, or RFC 9421 with Ed25519."""

    def sign(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        if scheme == "rfc9421" and signing.ed25519 is not None and signing.ed25519_key_id:
            return sign_request(
                method,
                url,
                headers,
                body,
                key_id=signing.ed25519_key_id,
                private_key=signing.ed25519,
                now=clock(),
                scheme="rfc9421",
            )
        return sign_request(
            method,
            url,
            headers,
            body,
            key_id=signing.rsa_key_id,
            private_key=signing.rsa,
            now=clock(),
            scheme="cavage",
        )

    # RSA signing costs a few hundred microseconds: the HTTP client runs it off the loop.
    costly = not (scheme == "rfc9421" and signing.ed25519 is not None and signing.ed25519_key_id)
    sign.costly = costly  # type: ignore[attr-defined]
    if costly:
        # In two steps, so that only the RSA operation (which runs without the interpreter
        # lock) goes to the signing thread; the loop never waits for the lock while that
        # thread would run Python code.
        def prepare(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> PendingSignature:
            return prepare_cavage_request(
                method, url, headers, body, key_id=signing.rsa_key_id, private_key=signing.rsa, now=clock()
            )

        sign.prepare = prepare  # type: ignore[attr-defined]
        sign.raw = partial(raw_sign, signing.rsa)  # type: ignore[attr-defined]
    return sign


def actor_fields(actor: RemoteActor) -> dict[str, object]:
    return {
        "ap_id": actor.ap_id,
        "kind": actor.kind,
        "is_local": False,
        "username": actor.username,
        "domain": actor.domain,
        "name": actor.name[:500],
        "summary": actor.summary[:5000],
        "url": actor.url,
        "inbox_url": actor.inbox,
        "outbox_url": actor.outbox,
        "shared_inbox_url": actor.shared_inbox,
        "followers_url": actor.followers,
        "following_url": actor.following,
        "featured_url": actor.featured,
        "icon_url": actor.icon,
        "image_url": actor.image,
        "manually_approves": actor.manually_approves,
        "discoverable": actor.discoverable,
        "also_known_as": list(actor.also_known_as),
        "moved_to": actor.moved_to,
        "document": actor.document,
        "fetched_at": utcnow(),
        "gone_at": None,
    }


class RemoteActors:
    def __init__(
        self,
        pool: Pool,
        client: HttpClient,
        signer: Callable[[], RequestSigner],
        clock: Clock = utcnow,
        *,
        allowlist_only: bool = False,
        outgoing: OutgoingPolicy | None = None,
    ) -> None:
        self._pool = pool
        self._outgoing = outgoing
        self._allowlist_only = allowlist_only
        self._client = client
        self._signer = signer
        self._clock = clock
        self._budget: FetchBudget | None = None
        # Keys verified recently, shared by budgeted views: no database round trip per request.
        self._memory: OrderedDict[str, tuple[float, ResolvedKey]] = OrderedDict()

    def budgeted(self, budget: FetchBudget) -> RemoteActors:
        """This object counting its network fetches against `budget` (one incoming activity's
        allowance); already budgeted, it is returned as it is, so nested handlers share one."""
        if self._budget is not None:
            return self
        view = copy.copy(self)
        view._budget = budget
        return view

    def _may_fetch(self, url: str) -> bool:
        if self._budget is None or self._budget.spend():
            return True
        log.info("fetch budget of this activity used up", extra={"url": url[:200]})
        return False

    async def store(self, actor: RemoteActor) -> ActorRow:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await actor_store.upsert_remote_actor(conn, actor_fields(actor))
            await actor_store.replace_keys(conn, row.id, [(k.key_id, k.algorithm, k.pem) for k in actor.keys])
        return row

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey | None:
        if not refresh:
            remembered = self.remembered_key(key_id)
            if remembered is not None:
                return remembered
        found = await self._resolve(key_id, refresh=refresh)
        if found is not None:
            self._remember(found)
        return found

    def remembered_key(self, key_id: str) -> ResolvedKey | None:
        """The key if it is in memory and young enough (no database, no network)."""
        remembered = self._memory.get(key_id)
        if remembered is not None and time.monotonic() - remembered[0] < KEY_MEMORY_SECONDS:
            return remembered[1]
        return None

    def _remember(self, key: ResolvedKey) -> None:
        self._memory[key.key_id] = (time.monotonic(), key)
        self._memory.move_to_end(key.key_id)
        while len(self._memory) > KEY_MEMORY_SIZE:
            self._memory.popitem(last=False)

    async def _resolve(self, key_id: str, *, refresh: bool) -> ResolvedKey | None:
        cached = await actor_store.key_by_id(self._pool, key_id)
        if cached is not None and cached.private_pem is None:
            young = self._clock() - cached.fetched_at < REFRESH_INTERVAL
            if not refresh or young:
                return self._resolved(cached.key_id, cached.actor_ap_id, cached.public_pem, cached.fetched_at)
        elif cached is not None:
            return None  # our own key: a request signed with it did not come from us
        if not self._may_fetch(key_id):
            return None
        try:
            actor = await fetch_key_owner(self._client, key_id, signer=self._signer())
        except RequestError as exc:
            log.info("key fetch failed", extra={"key_id": key_id, "reason": exc.reason})
            return None
        if isinstance(actor, str):
            log.info("key refused", extra={"key_id": key_id, "reason": actor})
            return None
        await self.store(actor)
        key = next(k for k in actor.keys if k.key_id == key_id)
        return self._resolved(key.key_id, actor.ap_id, key.pem, self._clock())

    def _resolved(self, key_id: str, owner: str, pem: str, fetched_at: datetime) -> ResolvedKey | None:
        try:
            public = parsed_public_key(pem)
        except ValueError:
            return None
        return ResolvedKey(key_id=key_id, owner=owner, public_key=public, fetched_at=fetched_at)

    async def actor(self, ap_id: str, *, refresh: bool = False) -> ActorRow | None:
        """The actor from the cache, fetched when unknown, stale, or on request."""
        row = await actor_store.actor_by_ap_id(self._pool, ap_id)
        if row is not None and (row.is_local or not (refresh or self._stale(row))):
            return row
        if not self._may_fetch(ap_id):
            return row
        fetched = await self._fetched_actor(ap_id)
        if fetched is None or fetched.ap_id != ap_id:
            return row
        return await self.store(fetched)

    async def actor_at(self, url: str, *, refresh: bool = False) -> ActorRow | None:
        """The actor `url` is the id of, or the actor a page of its server serves at `url`
        (a profile URL such as https://server.example/@name answers an AS2 request with the
        actor document, whose id is another URL on the same origin). The actor is then
        fetched again from its own id and stored under it."""
        if await actor_store.actor_by_ap_id(self._pool, url) is not None or not self._may_fetch(url):
            return await self.actor(url, refresh=refresh)
        fetched = await self._fetched_actor(url)
        if fetched is None:
            return None
        if fetched.ap_id == url:
            return await self.store(fetched)
        # fetch_object has refused a document whose id is on another origin
        return await self.actor(fetched.ap_id, refresh=True)

    async def _fetched_actor(self, url: str) -> RemoteActor | None:
        """The actor document at `url`, read; None (logged) when it cannot be had."""
        try:
            fetched = await fetch_actor(self._client, url, signer=self._signer())
        except RequestError as exc:
            log.info("actor fetch failed", extra={"actor": url, "reason": exc.reason})
            return None
        if isinstance(fetched, str):
            log.info("actor refused", extra={"actor": url, "reason": fetched})
            return None
        return fetched

    @property
    def http(self) -> HttpClient:
        """The outbound client (for lookups such as WebFinger that are not actor fetches)."""
        return self._client

    def _stale(self, row: ActorRow) -> bool:
        return row.fetched_at is None or self._clock() - row.fetched_at > ACTOR_TTL

    async def fetch_document(self, url: str) -> dict[str, Any] | None:
        """A remote object fetched (signed) from its origin, or None."""
        if not self._may_fetch(url):
            return None
        try:
            result = await fetch_object(self._client, url, signer=self._signer())
        except RequestError:
            return None
        return result.document if isinstance(result, Fetched) else None

    def domain_policy_changed(self) -> None:
        """The admin changed a domain block or the allowlist: the HTTP client's host guard
        reads the policy again before its next request."""
        if self._outgoing is not None:
            self._outgoing.forget()

    async def is_blocked(self, actor: str) -> bool:
        """Suspended or instance-blocked actors, suspended domains (a `limit` block lets the
        actor in) and, with federation_allowlist_only, domains not on the allowlist."""
        host = (urlsplit(actor).hostname or "").lower()
        return await instance_policy.is_refused(self._pool, actor, host, allowlist_only=self._allowlist_only)

    async def is_known_actor(self, actor: str) -> bool:
        return await actor_store.actor_by_ap_id(self._pool, actor) is not None
