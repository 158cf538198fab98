"""A remote moderator of one of OUR neighbourhoods locks a thread, or opens it again, in
Lemmy's shape: `Lock{actor: the moderator, object: a post, audience (or to, cc, target):
the group}` and `Undo{Lock{…}}` (the Lock embedded, or by its id) sent to the group. From
an actor who holds the moderator or admin role in that neighbourhood here (a remote member
made moderator with `set_role`), for a post of that neighbourhood, it is applied exactly as
a local moderator's lock (server.domain.thread_locks): the post is locked in table
locked_posts, the moderation log records it with the `summary` as the reason, and the group
announces the Lock (or Undo) unchanged to its followers, or to its members' servers for a
members-only post. A Lock from anyone else, of a post that is not in the neighbourhood, of
a post we do not know, or that names none of our neighbourhoods, is ignored with a logged
reason.
"""

from __future__ import annotations

import logging
from typing import Any

from activitypub.jsonld import as_list, get_id
from federation.authorise import activity_type
from federation.dispatch import Handled, Result, Skipped
from server.domain.federation_context import Federating
from server.domain.membership import NotAllowed
from server.domain.thread_locks import lock_thread, unlock_thread
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import delegate
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage import thread_locks as lock_store
from server.storage.actors import ActorRow

log = logging.getLogger(__name__)

MAX_REASON = 500
MAX_NAMED = 20
GROUP_FIELDS = ("audience", "target", "to", "cc")


def _refused(activity: Activity, reason: str) -> Skipped:
    log.info("remote moderator's lock refused", extra={"activity": get_id(activity), "reason": reason})
    return Skipped(reason)


def _named(*activities: dict[str, Any]) -> list[str]:
    """The ids the activities name as their group (audience, target, to, cc)."""
    found: dict[str, None] = {}
    for activity in activities:
        for field in GROUP_FIELDS:
            for value in as_list(activity.get(field))[:MAX_NAMED]:
                named = get_id(value)
                if named:
                    found[named] = None
    return list(found)


async def _group_for(ctx: HandlerContext, activity: Activity, post_id: str, named: list[str]) -> ActorRow | Skipped:
    """Our neighbourhood, among those named, that the post is in and the sender moderates."""
    groups = [
        group
        for group in [await actor_store.actor_by_ap_id(ctx.pool, n) for n in named if ctx.is_local(n)]
        if group is not None and group.kind == "Group" and group.is_local
    ]
    if not groups:
        return _refused(activity, "a Lock that names none of our neighbourhoods: ignored")
    post = await object_store.object_by_ap_id(ctx.pool, post_id)
    if post is None or post.deleted_at is not None:
        return _refused(activity, f"a Lock of a post we do not know ({post_id[:200]}): ignored")
    in_groups = await neighbourhood_store.groups_of_object(ctx.pool, post_id)
    holding = [g for g in groups if g.id in in_groups]
    if not holding:
        return _refused(activity, f"a Lock of a post that is not in {groups[0].ap_id}: ignored")
    for group in holding:
        role = await membership_store.membership(ctx.pool, group.id, ctx.sender.id)
        if role is not None and role.is_moderator:
            return group
    return _refused(activity, f"a Lock by someone who is not a moderator of {holding[0].ap_id}: ignored")


def _federating(ctx: HandlerContext) -> Federating:
    return Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)


@dispatcher.on("Lock")
async def thread_locked_by_moderator(ctx: HandlerContext, activity: Activity) -> Result:
    if get_id(activity.get("actor")) != ctx.sender.ap_id:
        return _refused(activity, "a Lock on behalf of someone else than its sender: ignored")
    post_id = get_id(activity.get("object"))
    if not post_id:
        return _refused(activity, "a Lock without a post: ignored")
    group = await _group_for(ctx, activity, post_id, _named(activity))
    if isinstance(group, Skipped):
        return group
    summary = activity.get("summary")
    reason = summary[:MAX_REASON] if isinstance(summary, str) else ""
    try:
        locked = await lock_thread(_federating(ctx), ctx.sender, group, post_id, reason, received=activity)
    except NotAllowed as refused:
        return _refused(activity, str(refused))
    return Handled(f"thread locked in {group.ap_id} by a moderator") if locked else Skipped("thread was locked already")


async def _unlock(ctx: HandlerContext, activity: Activity, post_id: str, named: list[str]) -> Result:
    group = await _group_for(ctx, activity, post_id, named)
    if isinstance(group, Skipped):
        return group
    try:
        unlocked = await unlock_thread(_federating(ctx), ctx.sender, group, post_id, received=activity)
    except NotAllowed as refused:
        return _refused(activity, str(refused))
    if not unlocked:
        return Skipped(f"thread was not locked by {group.ap_id}")
    return Handled(f"thread unlocked in {group.ap_id} by a moderator")


@dispatcher.on("Undo", "Lock")
async def thread_unlocked_by_moderator(ctx: HandlerContext, activity: Activity) -> Result:
    lock = activity.get("object")
    post_id = get_id(lock.get("object")) if isinstance(lock, dict) else None
    if not isinstance(lock, dict):
        return _refused(activity, "an Undo{Lock} without the Lock: ignored")
    if not post_id:
        return _refused(activity, "an Undo{Lock} without a post: ignored")
    return await _unlock(ctx, activity, post_id, _named(activity, lock))


@delegate("Undo")
async def thread_unlocked_by_lock_id(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Undo of a Lock given by its id only (or reduced to it: a Lock from another server)."""
    lock_id = activity.get("object")
    if not isinstance(lock_id, str) or activity_type(activity) != "Undo":
        return None
    current = await lock_store.lock_by_activity(ctx.pool, lock_id)
    if current is None:
        return None
    return await _unlock(ctx, activity, current.object_ap_id, [*_named(activity), current.group_ap_id])
