"""The long-lived federation services one process needs, opened and closed together:
the instance actor and its signing keys, the outbound HTTP client (guarded by the domain
policy, server/outgoing_policy.py) and remote lookups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from federation.http import HttpClient, HttpLimits
from server.config import Settings
from server.domain.actors import ensure_instance_actor
from server.domain.moderation import apply_allowlist_mode
from server.keyring import KeyRing
from server.outgoing_policy import OutgoingPolicy
from server.remote import RemoteActors, make_signer
from server.storage.actors import ActorRow
from server.storage.pool import Pool

LISTEN_STOP_SECONDS = 5.0


@dataclass(frozen=True)
class Services:
    keyring: KeyRing
    instance_actor: ActorRow
    http: HttpClient
    remote: RemoteActors


def http_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.fetch_timeout_seconds,
        max_response_bytes=settings.fetch_max_bytes,
        per_host_concurrency=settings.per_host_concurrency,
    )


@asynccontextmanager
async def open_services(settings: Settings, pool: Pool, dsn: str | None = None) -> AsyncIterator[Services]:
    """With `dsn` (long-running processes: `serve`, `worker`), the domain policy is also
    renewed at once when another process changes it (a listening connection of its own).
    Every start first applies allowlist-only mode when it has just been turned on."""
    await apply_allowlist_mode(pool, settings)
    keyring = KeyRing(pool)
    instance_actor = await ensure_instance_actor(pool, settings)
    instance_keys = await keyring.for_actor(instance_actor.id)
    outgoing = OutgoingPolicy(pool, allowlist_only=settings.federation_allowlist_only, own_host=settings.domain)
    async with _following_policy_changes(outgoing, dsn):
        async with HttpClient(
            settings.base_url,
            limits=http_limits(settings),
            allowed=settings.allowed_private_networks,
            signing_threads=settings.signing_threads,
            host_guard=outgoing,
        ) as client:
            remote = RemoteActors(
                pool,
                client,
                lambda: make_signer(instance_keys),
                allowlist_only=settings.federation_allowlist_only,
                outgoing=outgoing,
            )
            yield Services(keyring=keyring, instance_actor=instance_actor, http=client, remote=remote)


@asynccontextmanager
async def _following_policy_changes(outgoing: OutgoingPolicy, dsn: str | None) -> AsyncIterator[None]:
    if dsn is None:
        yield
        return
    stop = asyncio.Event()
    listener = asyncio.create_task(outgoing.follow_changes(dsn, stop))
    try:
        yield
    finally:
        stop.set()
        # it ends by itself once `stop` is set, unless a connection attempt hangs
        await asyncio.wait([listener], timeout=LISTEN_STOP_SECONDS)
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
