"""Membership of neighbourhoods: join, leave, approve, reject, invite and roles, for local
residents and remote actors, in local and remote groups.

Followers and members: a Follow or a Join of a neighbourhood is a request to join, decided
by its membership_mode (open: accepted; approval: pending until a moderator approves;
invitation: accepted only when invited, else rejected). An accepted request makes the actor
a member (a `memberships` row: role and state) and a follower (a `follows` row: the
delivery list of the group's Announces); both are made and ended together. The one
difference: Undo{Follow} only unsubscribes (the actor stays a member and may still post),
while Leave or Undo{Join} ends the membership and the subscription. A ban ends both and
refuses every later request.
"""

from __future__ import annotations

from typing import Any

from server.domain.federation_context import Federating
from server.domain.publish import new_activity_id, publish
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.memberships import MembershipRow
from server.storage.neighbourhoods import NeighbourhoodRow
from server.storage.pool import Connection

AS = "https://www.w3.org/ns/activitystreams"


class NotAllowed(PermissionError):
    """The actor may not do this in this neighbourhood; the message says why."""


class NotANeighbourhood(LookupError):
    """The actor is not one of our neighbourhoods."""


async def local_neighbourhood(fed: Federating, group: ActorRow) -> NeighbourhoodRow:
    found = await neighbourhood_store.neighbourhood_by_actor_id(fed.pool, group.id) if group.is_local else None
    if found is None:
        raise NotANeighbourhood(group.ap_id)
    return found


async def decide_request(conn: Connection, group: NeighbourhoodRow, candidate: ActorRow) -> str:
    """accepted | pending | rejected: what a Follow or Join of `group` by `candidate` gets."""
    existing = await membership_store.membership(conn, group.actor_id, candidate.id)
    if existing is not None and existing.state == "banned":
        return "rejected"
    if existing is not None and existing.state in ("accepted", "invited"):
        return "accepted"
    if group.membership_mode == "invitation":
        return "rejected"
    if group.membership_mode == "approval":
        return "pending"
    if not candidate.is_local and await instance_policy.is_limited_domain(conn, candidate.domain):
        return "pending"
    return "accepted"


def answer(kind: str, group: ActorRow, request: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Accept or Reject with the whole request (Follow or Join) as object, Mobilizon style."""
    inner = {k: v for k, v in request.items() if k not in ("@context", "proof", "signature")}
    return {
        "@context": AS,
        "id": new_activity_id(settings),
        "type": kind,
        "actor": group.ap_id,
        "object": inner,
        "to": [inner.get("actor")],
    }


async def record_request(
    conn: Connection, group: NeighbourhoodRow, candidate: ActorRow, request_id: str, state: str, via: str
) -> MembershipRow:
    """Write the membership and the follow of an accepted or pending request."""
    row = await membership_store.upsert_membership(
        conn, group.actor_id, candidate.id, state=state, ap_id=request_id, via=via
    )
    await follow_store.upsert_follow(conn, request_id, candidate.id, group.actor_id, state)
    return row


async def join(fed: Federating, resident: ActorRow, group: ActorRow, *, via: str = "Follow") -> str:
    """A local resident asks to join `group` (ours or remote). Returns the state: accepted,
    pending or rejected (remote groups: pending until their Accept arrives; an invitation
    from a remote group is accepted with Accept{Invite} instead, and is accepted at once)."""
    if via not in ("Follow", "Join"):
        raise ValueError("join via Follow or Join")
    request_id = new_activity_id(fed.settings)
    request: dict[str, Any] = {
        "@context": AS,
        "id": request_id,
        "type": via,
        "actor": resident.ap_id,
        "object": group.ap_id,
        "to": [group.ap_id],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        if group.is_local:
            hood = await neighbourhood_store.neighbourhood_by_actor_id(conn, group.id)
            if hood is None:
                raise NotANeighbourhood(group.ap_id)
            state = await decide_request(conn, hood, resident)
            if state != "rejected":
                await record_request(conn, hood, resident, request_id, state, via)
            return state
        existing = await membership_store.membership(conn, group.id, resident.id)
        if existing is not None and existing.state == "banned":
            return "rejected"
        if existing is not None and existing.state == "invited" and existing.via == "Invite" and existing.ap_id:
            return await _accept_invitation(conn, fed, resident, group, existing)
        await membership_store.upsert_membership(
            conn, group.id, resident.id, state="pending", ap_id=request_id, via=via
        )
        await follow_store.upsert_follow(conn, request_id, resident.id, group.id, "pending")
        await publish(conn, fed.settings, fed.keyring, resident, request, inboxes=[group.inbox_url])
    return "pending"


async def _accept_invitation(
    conn: Connection, fed: Federating, resident: ActorRow, group: ActorRow, invitation: MembershipRow
) -> str:
    """Accept{Invite} to a remote group (as Mobilizon expects; Buurtplein groups accept it
    too): the invitation was the group's offer, so the membership is accepted at once."""
    invite_id = invitation.ap_id or ""
    accept: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Accept",
        "actor": resident.ap_id,
        "object": {"id": invite_id, "type": "Invite", "object": group.ap_id, "target": resident.ap_id},
        "to": [group.ap_id],
    }
    await membership_store.set_state(conn, group.id, resident.id, "accepted", from_states=("invited",))
    await follow_store.upsert_follow(conn, invite_id, resident.id, group.id, "accepted")
    await publish(conn, fed.settings, fed.keyring, resident, accept, inboxes=[group.inbox_url])
    return "accepted"


async def leave(fed: Federating, resident: ActorRow, group: ActorRow) -> bool:
    """End a membership (and its subscription); a remote group is told (Leave or Undo{Follow})."""
    async with fed.pool.acquire() as conn, conn.transaction():
        current = await membership_store.membership(conn, group.id, resident.id)
        if current is None or current.state == "banned":
            return False
        await membership_store.delete_membership(conn, group.id, resident.id)
        await follow_store.delete_follow(conn, resident.id, group.id)
        if not group.is_local:
            activity = _leave_document(fed, resident, group, current)
            await publish(conn, fed.settings, fed.keyring, resident, activity, inboxes=[group.inbox_url])
    return True


def _leave_document(fed: Federating, resident: ActorRow, group: ActorRow, row: MembershipRow) -> dict[str, Any]:
    """Undo{Follow} when the membership began with a Follow (Lemmy and most servers), else
    Leave (Mobilizon)."""
    base = {"@context": AS, "id": new_activity_id(fed.settings), "actor": resident.ap_id, "to": [group.ap_id]}
    if row.via == "Follow" and row.ap_id:
        inner = {"id": row.ap_id, "type": "Follow", "actor": resident.ap_id, "object": group.ap_id}
        return {**base, "type": "Undo", "object": inner}
    return {**base, "type": "Leave", "object": group.ap_id}


async def require_moderator(conn: Connection, group: ActorRow, actor: ActorRow) -> None:
    if not group.is_local:
        raise NotAllowed("only our own neighbourhoods are moderated here")
    if await instance_policy.is_suspended(conn, actor.id):
        raise NotAllowed("a suspended account cannot moderate")
    found = await membership_store.membership(conn, group.id, actor.id)
    if found is None or not found.is_moderator:
        raise NotAllowed(f"{actor.ap_id} is not a moderator of {group.ap_id}")


def _request_document(row: MembershipRow, group: ActorRow, kind: str) -> dict[str, Any]:
    return {"id": row.ap_id, "type": kind, "actor": row.member_ap_id, "object": group.ap_id}


async def decide_pending(
    fed: Federating, moderator: ActorRow, group: ActorRow, member: ActorRow, *, approve: bool
) -> bool:
    """A moderator approves or rejects a pending request; the requester is told (Accept or
    Reject with the request as object)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        row = await membership_store.membership(conn, group.id, member.id)
        if row is None or row.state != "pending" or row.ap_id is None:
            return False
        kind = row.via if row.via in ("Follow", "Join") else "Follow"
        if approve:
            await membership_store.set_state(conn, group.id, member.id, "accepted", from_states=("pending",))
            await follow_store.accept_follow(conn, member.id, group.id)
        else:
            await membership_store.delete_membership(conn, group.id, member.id)
            await follow_store.delete_follow(conn, member.id, group.id)
        await instance_policy.log_action(
            conn, moderator.id, "approve_member" if approve else "reject_member", member.ap_id, group_id=group.id
        )
        if not member.is_local:
            reply = answer("Accept" if approve else "Reject", group, _request_document(row, group, kind), fed.settings)
            await publish(conn, fed.settings, fed.keyring, group, reply, inboxes=[member.inbox_url])
    return True


async def invite(fed: Federating, moderator: ActorRow, group: ActorRow, invitee: ActorRow) -> str:
    """Invite an actor: a local resident is invited at once; a remote one is sent an
    Invite{object: group, target: invitee} (Mobilizon's shape). Their Join or Follow is then
    accepted whatever the membership mode."""
    invite_id = new_activity_id(fed.settings)
    activity: dict[str, Any] = {
        "@context": AS,
        "id": invite_id,
        "type": "Invite",
        "actor": group.ap_id,
        "object": group.ap_id,
        "target": invitee.ap_id,
        "to": [invitee.ap_id],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        existing = await membership_store.membership(conn, group.id, invitee.id)
        if existing is not None and existing.state in ("accepted", "banned"):
            return existing.state
        await membership_store.upsert_membership(
            conn, group.id, invitee.id, state="invited", ap_id=invite_id, via="Invite", invited_by=moderator.id
        )
        await instance_policy.log_action(conn, moderator.id, "invite", invitee.ap_id, group_id=group.id)
        if not invitee.is_local:
            await publish(conn, fed.settings, fed.keyring, group, activity, inboxes=[invitee.inbox_url])
    return "invited"


async def set_role(fed: Federating, admin: ActorRow, group: ActorRow, member: ActorRow, role: str) -> bool:
    """Make a member a moderator or admin, or a plain member again (moderators may do it)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, admin)
        changed = await membership_store.set_role(conn, group.id, member.id, role)
        if changed:
            await instance_policy.log_action(conn, admin.id, f"set_role_{role}", member.ap_id, group_id=group.id)
    return changed


async def may_post(conn: Connection, group: NeighbourhoodRow, author: ActorRow) -> str:
    """announce | queue | refuse: what the group does with a post by `author`."""
    row = await membership_store.membership(conn, group.actor_id, author.id)
    if row is not None and row.state == "banned":
        return "refuse"
    if await instance_policy.is_suspended(conn, author.id):
        return "refuse"
    is_member = row is not None and row.state == "accepted"
    if group.posting_mode == "members" and not is_member:
        return "refuse"
    if row is not None and row.is_moderator:
        return "announce"
    if group.posting_mode == "moderated":
        return "queue"
    if not author.is_local and await instance_policy.is_limited_domain(conn, author.domain):
        return "queue"
    return "announce"
