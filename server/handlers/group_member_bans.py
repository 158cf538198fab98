"""A remote moderator of one of OUR neighbourhoods bans a member, or lifts the ban, in
Lemmy's shape: `Block{actor: the moderator, object: the member, target: the group}` and
`Undo{Block{…}}`. From an actor who holds the moderator or admin role in that neighbourhood
here (a remote member made moderator with `set_role`) it is applied exactly as a local
moderator's ban (server.domain.moderation.remove_member with `ban`) or lifting
(server.domain.ban_lift.lift_ban): the membership ends and later requests are refused, the
moderation log records it with the `summary` as the reason, and a remote member's server
gets the group's own `Block` (or `Undo{Block}`). A ban of an actor we do not know yet is
applied too (the actor is fetched), so it holds before they ask to join.

A ban from anyone else is ignored, and so is a Block with a `target` that is not one of
our neighbourhoods (a ban in a community or instance elsewhere is not a block between two
accounts). Lemmy's `removeData` (also remove the member's posts) and `endTime` (a ban that
ends by itself) are not applied: the ban holds until a moderator lifts it, and the posts
stay until moderators remove them; the log line says so.
"""

from __future__ import annotations

import logging

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.domain.ban_lift import lift_ban
from server.domain.federation_context import Federating
from server.domain.membership import NotAllowed
from server.domain.moderation import remove_member
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow

log = logging.getLogger(__name__)

MAX_REASON = 500


async def _ban_parts(ctx: HandlerContext, block: Activity) -> tuple[ActorRow, ActorRow] | Result | None:
    """The group and member of a ban sent by one of the group's moderators; None when the
    Block has no target (a block between accounts), a Result when it is a ban that is not
    applied here."""
    target = get_id(block.get("target"))
    if target is None:
        return None
    group = await actor_store.actor_by_ap_id(ctx.pool, target) if ctx.is_local(target) else None
    if group is None or group.kind != "Group":
        return Skipped("a ban in a community or instance elsewhere: not applied here")
    if get_id(block.get("actor")) not in (None, ctx.sender.ap_id):
        return Skipped("a ban on behalf of someone else than its sender: ignored")
    role = await membership_store.membership(ctx.pool, group.id, ctx.sender.id)
    if role is None or not role.is_moderator:
        return Skipped("ban by someone who is not a moderator of the group: ignored")
    member_id = get_id(block.get("object"))
    member = await ctx.remote.actor(member_id) if member_id and not ctx.is_local(member_id) else None
    if member is None and member_id and ctx.is_local(member_id):
        member = await actor_store.actor_by_ap_id(ctx.pool, member_id)
    if member is None or member.kind == "Group":
        return Skipped("ban of an actor that cannot be found: ignored")
    return group, member


def _federating(ctx: HandlerContext) -> Federating:
    return Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)


@delegate("Block")
async def member_banned_by_moderator(ctx: HandlerContext, activity: Activity) -> Result | None:
    parts = await _ban_parts(ctx, activity)
    if parts is None or not isinstance(parts, tuple):
        return parts
    group, member = parts
    summary = activity.get("summary")
    reason = summary[:MAX_REASON] if isinstance(summary, str) else ""
    if activity.get("removeData") is True or activity.get("endTime") is not None:
        log.info(
            "a remote moderator's ban asks to remove the member's posts or to end by itself; neither is applied",
            extra={"group": group.ap_id, "member": member.ap_id, "activity": activity.get("id")},
        )
    try:
        await remove_member(_federating(ctx), ctx.sender, group, member, ban=True, reason=reason)
    except NotAllowed as refused:
        return Skipped(str(refused))
    return Handled(f"banned from {group.ap_id} by a moderator")


@delegate("UndoBlock")
async def member_ban_lifted_by_moderator(ctx: HandlerContext, activity: Activity) -> Result | None:
    block = activity.get("object")
    if not isinstance(block, dict):
        return None
    parts = await _ban_parts(ctx, block)
    if parts is None or not isinstance(parts, tuple):
        return parts
    group, member = parts
    try:
        lifted = await lift_ban(_federating(ctx), ctx.sender, group, member)
    except NotAllowed as refused:
        return Skipped(str(refused))
    return Handled(f"ban from {group.ap_id} lifted by a moderator") if lifted else Skipped("not banned")
