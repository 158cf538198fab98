"""Incoming activities about neighbourhood membership, claimed through delegates:

- Follow or Join of one of our neighbourhoods: decided by its membership_mode, answered
  with Accept or Reject carrying the whole request (Mobilizon style); pending requests wait
  for a moderator (server.domain.membership.decide_pending).
- Leave, or Undo{Join}: the membership and the subscription end. (Undo{Follow} is left to
  the follows handler: it only unsubscribes.)
- Accept / Reject from a remote group answering one of our residents' requests; Accept of
  an Invite from one of our neighbourhoods by the invitee.
- Invite of one of our residents into a remote group.
- Flag addressed to one of our neighbourhoods (Lemmy reports to the community).
"""

from __future__ import annotations

from activitypub.jsonld import get_id, ids, language_map_value
from federation.dispatch import Handled, Result, Skipped
from server.domain import group_posts  # noqa: F401  (registers the group post hooks)
from server.domain.content_notifications import notify_report
from server.domain.membership import answer, decide_request, record_request
from server.domain.publish import publish
from server.handlers import (  # noqa: F401  (they register Announce/Delete/Remove, moderators' Remove and ban of members, and Lock)
    group_announces,
    group_member_bans,
    group_member_removals,
    group_thread_locks,
)
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.handlers.origins import same_origin
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.neighbourhoods import NeighbourhoodRow

MAX_REPORT = 5000


async def _local_group(ctx: HandlerContext, ap_id: str | None) -> NeighbourhoodRow | None:
    if ap_id is None or not ctx.is_local(ap_id):
        return None
    found = await neighbourhood_store.local_groups_among(ctx.pool, [ap_id])
    return found[0] if found else None


async def _request(ctx: HandlerContext, activity: Activity, kind: str) -> Result | None:
    hood = await _local_group(ctx, get_id(activity.get("object")))
    if hood is None:
        return None
    group = await actor_store.actor_by_id(ctx.pool, hood.actor_id)
    assert group is not None
    async with ctx.pool.acquire() as conn, conn.transaction():
        state = await decide_request(conn, hood, ctx.sender)
        reply: Activity | None
        if state == "rejected":
            reply = answer("Reject", group, activity, ctx.settings)
        else:
            await record_request(conn, hood, ctx.sender, activity["id"], state, kind)
            reply = answer("Accept", group, activity, ctx.settings) if state == "accepted" else None
        if reply is not None:
            await publish(conn, ctx.settings, ctx.keyring, group, reply, inboxes=[ctx.sender.inbox_url])
    return Handled(f"{kind} of {hood.username}: {state}")


@delegate("Follow")
async def follow_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    return await _request(ctx, activity, "Follow")


@delegate("Join")
async def join_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    return await _request(ctx, activity, "Join")


async def _leave(ctx: HandlerContext, hood: NeighbourhoodRow) -> Result:
    async with ctx.pool.acquire() as conn, conn.transaction():
        left = await membership_store.delete_membership(conn, hood.actor_id, ctx.sender.id)
        await follow_store.delete_follow(conn, ctx.sender.id, hood.actor_id)
    return Handled(f"left {hood.username}") if left else Skipped("Leave of a group the actor is not in")


@delegate("Leave")
async def leave_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    hood = await _local_group(ctx, get_id(activity.get("object")))
    return await _leave(ctx, hood) if hood is not None else None


@delegate("Undo")
async def undo_join(ctx: HandlerContext, activity: Activity) -> Result | None:
    inner = activity.get("object")
    found = await membership_store.membership_by_ap_id(ctx.pool, get_id(inner) or "")
    if found is None or found.via != "Join" or found.member_id != ctx.sender.id:
        return None
    hood = await neighbourhood_store.neighbourhood_by_actor_id(ctx.pool, found.group_id)
    return await _leave(ctx, hood) if hood is not None else None


async def _our_request(ctx: HandlerContext, activity: Activity) -> membership_store.MembershipRow | None:
    """The pending membership of one of our residents in the sending group that this
    Accept/Reject answers (by the request's id, or its actor when the id is not echoed)."""
    inner = activity.get("object")
    found = await membership_store.membership_by_ap_id(ctx.pool, get_id(inner) or "")
    if found is None and isinstance(inner, dict) and get_id(inner.get("object")) == ctx.sender.ap_id:
        member = await actor_store.actor_by_ap_id(ctx.pool, get_id(inner.get("actor")) or "")
        if member is not None and member.is_local:
            found = await membership_store.membership(ctx.pool, ctx.sender.id, member.id)
    if found is None or found.group_id != ctx.sender.id or found.state != "pending":
        return None
    return found


@delegate("Accept")
async def accept_request(ctx: HandlerContext, activity: Activity) -> Result | None:
    found = await _our_request(ctx, activity)
    if found is None:
        return await _accept_invitation(ctx, activity)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await membership_store.set_state(conn, found.group_id, found.member_id, "accepted", from_states=("pending",))
        await follow_store.upsert_follow(
            conn, found.ap_id or activity["id"], found.member_id, found.group_id, "accepted"
        )
    return Handled("membership accepted")


async def _accept_invitation(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Accept{Invite} by a remote invitee of one of our neighbourhoods (Mobilizon)."""
    found = await membership_store.membership_by_ap_id(ctx.pool, get_id(activity.get("object")) or "")
    if found is None or found.via != "Invite" or found.member_id != ctx.sender.id or found.state != "invited":
        return None
    async with ctx.pool.acquire() as conn, conn.transaction():
        await membership_store.set_state(conn, found.group_id, found.member_id, "accepted", from_states=("invited",))
        await follow_store.upsert_follow(conn, activity["id"], found.member_id, found.group_id, "accepted")
    return Handled("invitation accepted")


@delegate("Reject")
async def reject_request(ctx: HandlerContext, activity: Activity) -> Result | None:
    found = await _our_request(ctx, activity)
    if found is None:
        return None
    async with ctx.pool.acquire() as conn, conn.transaction():
        await membership_store.delete_membership(conn, found.group_id, found.member_id)
        await follow_store.delete_follow(conn, found.member_id, found.group_id)
    return Handled("membership rejected")


@delegate("Invite")
async def invited(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Invite{object: a remote group, target: our resident}: remembered as an invitation;
    the resident accepts by joining (server.domain.membership.join)."""
    invitee = await actor_store.actor_by_ap_id(ctx.pool, get_id(activity.get("target")) or "")
    group_id = get_id(activity.get("object"))
    if invitee is None or not invitee.is_local or invitee.kind != "Person" or group_id is None:
        return None
    if not same_origin(group_id, ctx.sender.ap_id):
        return Skipped("Invite into a group on another server than the inviter's")
    group = await ctx.remote.actor(group_id)
    if group is None or group.kind != "Group" or group.is_local:
        return Skipped("Invite into something that is not a remote group")
    current = await membership_store.membership(ctx.pool, group.id, invitee.id)
    if current is not None and current.state in ("accepted", "banned"):
        return Skipped("already a member (or banned)")
    await membership_store.upsert_membership(
        ctx.pool, group.id, invitee.id, state="invited", ap_id=activity["id"], via="Invite"
    )
    return Handled("invitation stored")


@delegate("Flag")
async def report_to_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    """A report addressed to one of our neighbourhoods, for its moderators."""
    addressed = ids(activity.get("to")) + ids(activity.get("audience")) + ids(activity.get("cc"))
    groups = await neighbourhood_store.local_groups_among(ctx.pool, [a for a in addressed if ctx.is_local(a)][:10])
    if not groups:
        return None
    targets = ids(activity.get("object"))[:20]
    if not targets:
        return Skipped("Flag of nothing")
    text = (language_map_value(activity, "content") or language_map_value(activity, "summary") or "")[:MAX_REPORT]
    async with ctx.pool.acquire() as conn, conn.transaction():
        stored = await instance_policy.insert_report(
            conn, activity["id"], ctx.sender.id, targets, text, group_id=groups[0].actor_id
        )
        if stored:
            await notify_report(conn, ctx.sender.id, targets, groups[0].actor_id)
    return Handled("report stored for the group") if stored else Skipped("report known already")
