"""A remote moderator of one of OUR neighbourhoods bans a member, or lifts the ban, in
Lemmy's shape: `Block{actor: the moderator, object: the member, target: the group}` and
`Undo{Block{…}}`. From an actor who holds the moderator or admin role in that neighbourhood
here (a remote member made moderator with `set_role`) it is applied exactly as a local
moderator's ban (server.domain.moderation.remove_member with `ban`) or lifting
(server.domain.ban_lift.lift_ban): the membership ends and later requests are refused, the
moderation log records it with the `summary` as the reason, and a remote member's server
gets the group's own `Block` (or `Undo{Block}`). A ban of an actor we do not know yet is
applied too (the actor is fetched), so it holds before they ask to join.

Lemmy's `endTime` (or the older `expires`) in the future makes the ban end by itself then
(stored with the ban; server.domain.ban_lift ends it as a lifting does); one in the past,
without a time zone or unreadable is logged and the ban holds until a moderator lifts it.
`removeData: true` also removes the member's newest posts in the neighbourhood
(moderation.remove_member_posts, at most MAX_POSTS_REMOVED_WITH_BAN), each as a moderator's
removal with the group's own Delete announced to its followers; the group also announces
the Block as received, as a Lemmy community relays a ban, so Lemmy servers following it
remove the posts in their copies (they do not take a Delete from a group).

A ban from anyone else is ignored, and so is a Block with a `target` that is not one of
our neighbourhoods (a ban in a community or instance elsewhere is not a block between two
accounts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.domain.ban_lift import lift_ban
from server.domain.federation_context import Federating
from server.domain.group_posts import announce_document
from server.domain.membership import NotAllowed
from server.domain.moderation import remove_member, remove_member_posts
from server.domain.publish import publish
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


def ban_end(activity: Activity, now: datetime) -> tuple[datetime | None, str]:
    """When the ban ends (Lemmy's `endTime`, else `expires`) and, when one is given but not
    used, why not; (None, "") for a ban without an end."""
    raw = activity.get("endTime", activity.get("expires"))
    if raw is None:
        return None, ""
    try:
        end = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        end = None
    if end is None:
        return None, "end time unreadable"
    if end.tzinfo is None:
        return None, "end time without a time zone"
    if end <= now:
        return None, "end time has passed"
    return end.astimezone(UTC), ""


@delegate("Block")
async def member_banned_by_moderator(ctx: HandlerContext, activity: Activity) -> Result | None:
    parts = await _ban_parts(ctx, activity)
    if parts is None or not isinstance(parts, tuple):
        return parts
    group, member = parts
    summary = activity.get("summary")
    reason = summary[:MAX_REASON] if isinstance(summary, str) else ""
    until, unused = ban_end(activity, datetime.now(UTC))
    if unused:
        log.info(
            "a remote moderator's ban has an end time that is not used: the ban is permanent",
            extra={"group": group.ap_id, "member": member.ap_id, "activity": activity.get("id"), "why": unused},
        )
    fed = _federating(ctx)
    try:
        await remove_member(fed, ctx.sender, group, member, ban=True, reason=reason, until=until)
    except NotAllowed as refused:
        return Skipped(str(refused))
    if activity.get("removeData") is not True:
        return Handled(f"banned from {group.ap_id} by a moderator")
    try:
        removed = await remove_member_posts(fed, ctx.sender, group, member, reason)
    except NotAllowed as refused:  # no longer a moderator a moment later
        return Handled(f"banned from {group.ap_id} by a moderator; posts not removed: {refused}")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await publish(
            conn, ctx.settings, ctx.keyring, group, announce_document(fed, group, activity), to_followers=True
        )
    return Handled(f"banned from {group.ap_id} by a moderator, {removed} posts removed")


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
