"""A remote moderator of one of OUR neighbourhoods removes a member: `Remove{object: the
member, target: the group or its members collection (or origin: the group)}` sent by an
actor who holds the moderator or admin role in that neighbourhood here (a remote member
made moderator with `set_role`; such actors are listed in the group's moderators
collection, its `attributedTo`). It is applied exactly as a removal by a local moderator
(server.domain.moderation.remove_member): the membership and subscription end, the log
records it, and a remote member's server gets the group's `Remove`. From anyone else it is
ignored.
"""

from __future__ import annotations

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.domain.addressing import members_collection
from server.domain.federation_context import Federating
from server.domain.membership import NotAllowed
from server.domain.moderation import remove_member
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow

MAX_REASON = 500


async def _our_group(ctx: HandlerContext, activity: Activity) -> ActorRow | None:
    """Our neighbourhood the Remove is about: its `origin`, or its `target` when that is
    the group or the group's members collection."""
    target, group_origin = get_id(activity.get("target")), get_id(activity.get("origin"))
    candidates = [c for c in (group_origin, target, (target or "").removesuffix("/members")) if c]
    for candidate in dict.fromkeys(candidates):
        group = await actor_store.actor_by_ap_id(ctx.pool, candidate)
        if group is None or group.kind != "Group" or not group.is_local:
            continue
        if target in (None, group.ap_id, members_collection(group.ap_id)) or group_origin == group.ap_id:
            return group
    return None


@delegate("Remove")
async def member_removed_by_moderator(ctx: HandlerContext, activity: Activity) -> Result | None:
    group = await _our_group(ctx, activity)
    if group is None:
        return None
    member = await actor_store.actor_by_ap_id(ctx.pool, get_id(activity.get("object")) or "")
    if member is None or member.kind == "Group":
        return None  # not a member removal (a post, or a collection): other handlers' business
    role = await membership_store.membership(ctx.pool, group.id, ctx.sender.id)
    if role is None or not role.is_moderator:
        return Skipped("Remove of a member by someone who is not a moderator of the group: ignored")
    summary = activity.get("summary")
    reason = summary[:MAX_REASON] if isinstance(summary, str) else ""
    fed = Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)
    try:
        changed = await remove_member(fed, ctx.sender, group, member, reason=reason)
    except NotAllowed as refused:
        return Skipped(str(refused))
    return Handled(f"removed from {group.ap_id} by a moderator") if changed else Skipped("not a member")
