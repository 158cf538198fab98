"""Moderation that remote neighbourhoods (Group actors) federate beyond removing posts:
Lemmy's `Lock` and `Undo{Lock}` of a post (announced by the group), and a remote group's
`Remove` of one of our residents from its members (Mobilizon's shape, and ours).

A Lock is believed from the group itself or from a moderator the group lists in
`attributedTo`, for a post that belongs to the group; the post is then marked locked
(table locked_posts): our residents cannot reply to it, and none of our neighbourhoods
announces a reply to it. `Undo{Lock}` lifts it.

`Remove{object: our resident, origin or target: the group (or its members collection)}`
sent by the group, or by an actor on the group's server, ends the resident's membership
and subscription here. A `Remove` whose target is another collection (Lemmy's
`moderators`, `featured`) is not a removal of a member.
"""

from __future__ import annotations

from typing import Any

from activitypub.jsonld import get_id
from federation.authorise import activity_type
from federation.dispatch import Handled, Result, Skipped
from server.domain.addressing import members_collection
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.handlers.origins import same_origin
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import group_federation as group_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow


async def _may_moderate(ctx: HandlerContext, group: ActorRow, actor_id: str, object_id: str) -> Skipped | None:
    """None when `actor_id` may moderate `object_id` in the remote `group`; else why not."""
    if group.id not in await neighbourhood_store.groups_of_object(ctx.pool, object_id):
        return Skipped("lock of a post that is not in the group")
    if actor_id == group.ap_id:
        return None
    from server.handlers.group_announces import remote_moderators

    if actor_id not in await remote_moderators(ctx, group):
        return Skipped("lock by someone who is not a moderator of the group: ignored")
    return None


async def announced_lock(ctx: HandlerContext, inner: dict[str, Any], believed: bool) -> Result:
    """Announce{Lock{post}} or Announce{Undo{Lock{post}}} from a remote group."""
    if not believed:
        return Skipped("announced Lock could not be verified")
    undo = activity_type(inner) == "Undo"
    lock = inner.get("object") if undo else inner
    if not isinstance(lock, dict) or activity_type(lock) != "Lock":
        return Skipped("Undo{Lock} without an embedded Lock")
    actor_id, object_id = get_id(inner.get("actor")) or "", get_id(lock.get("object")) or ""
    if not object_id:
        return Skipped("Lock without a post")
    refused = await _may_moderate(ctx, ctx.sender, actor_id, object_id)
    if refused is not None:
        return refused
    if undo:
        done = await group_store.unlock_post(ctx.pool, object_id, ctx.sender.id)
        return Handled("post unlocked") if done else Skipped("post was not locked")
    done = await group_store.lock_post(ctx.pool, object_id, ctx.sender.id, actor_id, get_id(inner))
    return Handled("post locked") if done else Skipped("post was locked already")


def _group_candidates(activity: Activity, sender: str) -> list[str]:
    """The group a Remove is about: its `origin`, its `target` (the group or its members
    collection), else the sender itself when it names no target."""
    found: list[str] = []
    group_origin, target = get_id(activity.get("origin")), get_id(activity.get("target"))
    if group_origin:
        found.append(group_origin)
    if target:
        found += [target, target.removesuffix("/members")] if target.endswith("/members") else [target]
    elif not group_origin:
        found.append(sender)
    return found


@delegate("Remove")
async def removed_from_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    member = await actor_store.actor_by_ap_id(ctx.pool, get_id(activity.get("object")) or "")
    if member is None or not member.is_local:
        return None
    target = get_id(activity.get("target"))
    for candidate in _group_candidates(activity, ctx.sender.ap_id):
        if not same_origin(candidate, ctx.sender.ap_id):
            continue
        group = await actor_store.actor_by_ap_id(ctx.pool, candidate)
        if group is None or group.kind != "Group" or group.is_local:
            continue
        if target not in (None, group.ap_id, members_collection(group.ap_id)) and not activity.get("origin"):
            return None  # another collection (moderators, featured): not a member removal
        async with ctx.pool.acquire() as conn, conn.transaction():
            current = await membership_store.membership(conn, group.id, member.id)
            if current is None or current.state == "banned":
                return Skipped("Remove of someone who is not a member")
            await membership_store.delete_membership(conn, group.id, member.id)
            await follow_store.delete_follow(conn, member.id, group.id)
        return Handled(f"removed from {group.ap_id}")
    return None
