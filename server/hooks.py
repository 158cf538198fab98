"""Extension points between product features, so one feature reacts to another without
editing it: a neighbourhood announces a member's post, a notification is made for a reply.

Hooks run in registration order, after the change they follow has been committed (their
own changes are their own transactions). A failing hook is logged, never lost silently,
and does not undo the change before it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.domain.federation_context import Federating
    from server.handlers.context import HandlerContext
    from server.storage.actors import ActorRow
    from server.storage.objects import ObjectRow

log = logging.getLogger(__name__)

# A remote object was stored: (handler context, the activity that brought it, the row).
RemoteObjectHook = Callable[["HandlerContext", dict[str, Any], "ObjectRow"], Awaitable[None]]
# A local post was published: (federation context, author, row, the Create activity).
LocalPostHook = Callable[["Federating", "ActorRow", "ObjectRow", dict[str, Any]], Awaitable[None]]

# A local neighbourhood was created or its profile changed (committed): (federation context, the Group).
NeighbourhoodHook = Callable[["Federating", "ActorRow"], Awaitable[None]]

remote_object_stored: list[RemoteObjectHook] = []
# A remote object was updated by its owner: (handler context, the Update as received, the updated row).
remote_object_updated: list[RemoteObjectHook] = []
local_post_published: list[LocalPostHook] = []
# A local post was edited: (federation context, author, the updated row, the signed Update).
local_post_updated: list[LocalPostHook] = []
neighbourhood_changed: list[NeighbourhoodHook] = []


async def _run_remote(
    hooks: list[RemoteObjectHook], ctx: HandlerContext, activity: dict[str, Any], row: ObjectRow
) -> None:
    for hook in hooks:
        try:
            await hook(ctx, activity, row)
        except Exception:
            log.exception("hook failed", extra={"hook": getattr(hook, "__name__", "?"), "object": row.ap_id})


async def _run_local(
    hooks: list[LocalPostHook], fed: Federating, author: ActorRow, row: ObjectRow, activity: dict[str, Any]
) -> None:
    for hook in hooks:
        try:
            await hook(fed, author, row, activity)
        except Exception:
            log.exception("hook failed", extra={"hook": getattr(hook, "__name__", "?"), "object": row.ap_id})


async def run_remote_object_stored(ctx: HandlerContext, activity: dict[str, Any], row: ObjectRow) -> None:
    await _run_remote(remote_object_stored, ctx, activity, row)


async def run_remote_object_updated(ctx: HandlerContext, activity: dict[str, Any], row: ObjectRow) -> None:
    await _run_remote(remote_object_updated, ctx, activity, row)


async def run_local_post_published(fed: Federating, author: ActorRow, row: ObjectRow, create: dict[str, Any]) -> None:
    await _run_local(local_post_published, fed, author, row, create)


async def run_local_post_updated(fed: Federating, author: ActorRow, row: ObjectRow, update: dict[str, Any]) -> None:
    await _run_local(local_post_updated, fed, author, row, update)


async def run_neighbourhood_changed(fed: Federating, group: ActorRow) -> None:
    for hook in neighbourhood_changed:
        try:
            await hook(fed, group)
        except Exception:
            log.exception("hook failed", extra={"hook": getattr(hook, "__name__", "?"), "group": group.ap_id})
