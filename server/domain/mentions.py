"""Handles (`name@host`) → actors: ours from the database, remote ones through the cache,
else WebFinger on the handle's own host and a signed actor fetch.

At most MAX_MENTIONS handles are looked up per post, MAX_PARALLEL at a time; a handle that
does not resolve stays plain text in the post (no tag, no delivery, no notification).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from federation.webfinger import Resolved, resolve_handle
from server.domain.federation_context import Federating
from server.domain.post_text import MAX_MENTIONS
from server.storage import actors as actor_store
from server.storage.actors import ActorRow

log = logging.getLogger(__name__)
MAX_PARALLEL = 8


async def resolve_mentions(fed: Federating, handles: Sequence[str]) -> dict[str, ActorRow]:
    """handle (lower-cased) → actor, for the handles that resolve."""
    gate = asyncio.Semaphore(MAX_PARALLEL)

    async def one(handle: str) -> tuple[str, ActorRow | None]:
        async with gate:
            return handle, await resolve_mention(fed, handle)

    wanted = list(dict.fromkeys(h.lower() for h in handles))[:MAX_MENTIONS]
    found = await asyncio.gather(*(one(h) for h in wanted))
    return {handle: actor for handle, actor in found if actor is not None}


async def resolve_mention(fed: Federating, handle: str) -> ActorRow | None:
    name, _, host = handle.rpartition("@")
    if not name or not host:
        return None
    if host.lower() == fed.settings.host.lower():
        return await actor_store.local_actor(fed.pool, name)
    cached = await actor_store.actor_by_handle(fed.pool, name, host)
    if cached is not None and cached.gone_at is None:
        return cached
    result = await resolve_handle(fed.remote.http, handle, scheme=fed.settings.scheme)
    if not isinstance(result, Resolved):
        log.info("mention not resolved", extra={"handle": handle[:200], "reason": result.reason})
        return None
    actor = await fed.remote.actor(result.actor_url)
    if actor is None or actor.is_local:
        return None
    return actor
