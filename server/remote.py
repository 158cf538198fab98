"""Remote actors and keys through the cache in PostgreSQL, else a signed fetch.

Implements `federation.ports.KeyResolver` and `InboxPolicy`. A key is refetched on a failed
verification at most once per REFRESH_INTERVAL, so a forged signature costs no
amplification; an actor cache entry older than ACTOR_TTL is refreshed on use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from activitypub import keys
from activitypub.request_signing import sign_request
from activitypub.signatures import Scheme
from federation.actors import RemoteActor, fetch_actor, fetch_key_owner
from federation.fetch import Fetched, fetch_object
from federation.http import HttpClient, RequestError
from federation.ports import RequestSigner, ResolvedKey
from server.keyring import SigningKeys
from server.storage import actors as actor_store
from server.storage import policy as policy_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool

log = logging.getLogger(__name__)
REFRESH_INTERVAL = timedelta(minutes=5)
ACTOR_TTL = timedelta(days=1)
Clock = Callable[[], datetime]


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
    ) -> None:
        self._pool = pool
        self._client = client
        self._signer = signer
        self._clock = clock

    async def store(self, actor: RemoteActor) -> ActorRow:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await actor_store.upsert_remote_actor(conn, actor_fields(actor))
            await actor_store.replace_keys(conn, row.id, [(k.key_id, k.algorithm, k.pem) for k in actor.keys])
        return row

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey | None:
        cached = await actor_store.key_by_id(self._pool, key_id)
        if cached is not None and cached.private_pem is None:
            young = self._clock() - cached.fetched_at < REFRESH_INTERVAL
            if not refresh or young:
                return self._resolved(cached.key_id, cached.actor_ap_id, cached.public_pem, cached.fetched_at)
        elif cached is not None:
            return None  # our own key: a request signed with it did not come from us
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
            public = keys.load_public_key(pem)
        except ValueError:
            return None
        return ResolvedKey(key_id=key_id, owner=owner, public_key=public, fetched_at=fetched_at)

    async def actor(self, ap_id: str, *, refresh: bool = False) -> ActorRow | None:
        """The actor from the cache, fetched when unknown, stale, or on request."""
        row = await actor_store.actor_by_ap_id(self._pool, ap_id)
        if row is not None and (row.is_local or not (refresh or self._stale(row))):
            return row
        try:
            fetched = await fetch_actor(self._client, ap_id, signer=self._signer())
        except RequestError as exc:
            log.info("actor fetch failed", extra={"actor": ap_id, "reason": exc.reason})
            return row
        if isinstance(fetched, str):
            log.info("actor refused", extra={"actor": ap_id, "reason": fetched})
            return row
        if fetched.ap_id != ap_id:
            return row
        return await self.store(fetched)

    def _stale(self, row: ActorRow) -> bool:
        return row.fetched_at is None or self._clock() - row.fetched_at > ACTOR_TTL

    async def fetch_document(self, url: str) -> dict[str, Any] | None:
        """A remote object fetched (signed) from its origin, or None."""
        try:
            result = await fetch_object(self._client, url, signer=self._signer())
        except RequestError:
            return None
        return result.document if isinstance(result, Fetched) else None

    async def is_blocked(self, actor: str) -> bool:
        host = (urlsplit(actor).hostname or "").lower()
        return await policy_store.is_blocked(self._pool, actor, host)

    async def is_known_actor(self, actor: str) -> bool:
        return await actor_store.actor_by_ap_id(self._pool, actor) is not None
