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
removal with the group's own Delete announced as the post was (to its followers; a
members-only post's to its members' servers only); the group also announces
the Block as received, as a Lemmy community relays a ban, so Lemmy servers following it
remove the posts in their copies (they do not take a Delete from a group).

When OUR resident is banned from a remote group with `removeData: true` (the group's own
Block{member}, or Lemmy's Block with the group as `target` from a moderator the group lists
in `attributedTo`), our copies of their posts in that group (the newest
MAX_POSTS_REMOVED_WITH_BAN) are marked removed there and tombstoned, as the group's
announced Deletes would do; the banned member's server no longer gets those.

A ban from anyone else is ignored, and so is any other Block with a `target` that is not
one of our neighbourhoods (a ban in a community or instance elsewhere is not a block
between two accounts).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.domain.ban_lift import lift_ban
from server.domain.federation_context import Federating
from server.domain.group_posts import announce_document
from server.domain.media import remove_files
from server.domain.membership import NotAllowed
from server.domain.moderation import MAX_POSTS_REMOVED_WITH_BAN, remove_member
from server.domain.publish import publish
from server.domain.remote_thread_locks import fetch_group_moderators
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.handlers.moderation import record_block
from server.storage import actors as actor_store
from server.storage import media as media_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
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


async def _remote_ban_of_ours(ctx: HandlerContext, block: Activity) -> tuple[ActorRow, ActorRow] | None:
    """The remote group and our resident of a ban with `removeData` from a group elsewhere:
    the group's own Block{member} (Buurtplein; no `target`), or Lemmy's Block{actor: a
    moderator listed in the group's `attributedTo`, object: member, target: the group}."""
    member_id = get_id(block.get("object"))
    if block.get("removeData") is not True or not member_id or not ctx.is_local(member_id):
        return None
    if get_id(block.get("actor")) not in (None, ctx.sender.ap_id):
        return None
    target = get_id(block.get("target"))
    if target is None:
        group: ActorRow | None = ctx.sender
    elif ctx.is_local(target):
        return None  # a ban in one of our own neighbourhoods: member_banned_by_moderator
    else:
        group = await actor_store.actor_by_ap_id(ctx.pool, target)
    if group is None or group.kind != "Group" or group.is_local:
        return None
    if ctx.sender.ap_id != group.ap_id and ctx.sender.ap_id not in (
        await fetch_group_moderators(ctx.remote, group.ap_id) or frozenset()
    ):
        return None
    member = await actor_store.actor_by_ap_id(ctx.pool, member_id)
    return (group, member) if member is not None and member.is_local else None


@delegate("Block")
async def our_member_banned_elsewhere(ctx: HandlerContext, activity: Activity) -> Result | None:
    parts = await _remote_ban_of_ours(ctx, activity)
    if parts is None:
        return None
    group, member = parts
    removed = 0
    async with ctx.pool.acquire() as conn:
        posts = await neighbourhood_store.posts_of_author(conn, group.id, member.ap_id, MAX_POSTS_REMOVED_WITH_BAN)
    for post in posts:
        async with ctx.pool.acquire() as conn, conn.transaction():
            if not await neighbourhood_store.decide_group_post(
                conn, group.id, post.object_id, "removed", from_state=post.state
            ):
                continue
            await object_store.tombstone_object(conn, post.object_ap_id, post.author_ap_id, None)
            files = await media_store.delete_media_of_object(conn, post.object_ap_id)
        await remove_files(ctx.settings, files)
        removed += 1
    log.info(
        "our resident was banned from a remote neighbourhood with removeData: their posts there removed here",
        extra={"group": group.ap_id, "member": member.ap_id, "removed": removed},
    )
    if get_id(activity.get("target")) is None:  # the group's own Block: also a block of the account
        await record_block(ctx, activity, member)
        return Handled(f"blocked by {group.ap_id}, {removed} posts there removed")
    return Handled(f"banned from {group.ap_id}, {removed} posts there removed")


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
    remove_data = activity.get("removeData") is True
    try:
        await remove_member(
            fed, ctx.sender, group, member, ban=True, reason=reason, until=until, remove_data=remove_data
        )
    except NotAllowed as refused:
        return Skipped(str(refused))
    if not remove_data:
        return Handled(f"banned from {group.ap_id} by a moderator")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await publish(
            conn, ctx.settings, ctx.keyring, group, announce_document(fed, group, activity), to_followers=True
        )
    return Handled(f"banned from {group.ap_id} by a moderator, their posts removed")


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
