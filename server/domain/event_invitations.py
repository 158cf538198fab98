"""Invitations to events whose join mode is `invite`.

The organiser (a resident, or a moderator of the neighbourhood that organises the event)
invites an actor: the invitee is recorded as an attendee in state `invited`; a remote one
is sent `Invite{actor: organiser, object: event, target: invitee}` (the shape Mobilizon
uses for its group invitations), a local one is told by a notification. The invitee
answers with `Accept{Invite}` (going; capacity still holds) or `Reject{Invite}`
(declined), or simply with a Join or any RSVP; a Join from someone not invited is refused
with "this event is by invitation only" (server.domain.rsvp.decide_rsvp).

The organiser may take back an invitation that has not been answered yet
(`take_back_invitation`): it is removed here (the invitee can then no longer join), a
local invitee's "invited" notification goes with it, and a remote invitee is sent
`Undo{Invite}` with the original Invite embedded.

Invitations from other servers to our residents, for their events, are recorded by
`record_invitation` (server.handlers.event_invites), and removed by `remove_invitation`
when their organiser sends `Undo{Invite}` (their notification goes too); the resident answers on the event's page
(`answer_invitation`): `Accept{Invite}` or `Reject{Invite}` to the organiser.
"""

from __future__ import annotations

from typing import Any

from server.convert.events import event_context
from server.domain import rsvp as rsvp_domain
from server.domain.federation_context import Federating
from server.domain.notifications import notify
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import content_notifications as organiser_store
from server.storage import events as event_store
from server.storage import notifications as notification_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import EventRow
from server.storage.pool import Connection

INVITE_KIND = "event_invite"
ALREADY_INVITED = "already invited"


class CannotInvite(PermissionError):
    """Not the organiser, not an invite-only event, or the event is gone; says why."""


def invite_document(activity_id: str, organiser: ActorRow, event_ap_id: str, invitee: ActorRow) -> dict[str, Any]:
    return {
        "@context": event_context(),
        "id": activity_id,
        "type": "Invite",
        "actor": organiser.ap_id,
        "object": event_ap_id,
        "target": invitee.ap_id,
        "to": [invitee.ap_id],
    }


async def _organised_event(conn: Connection, inviter: ActorRow, event_ap_id: str) -> EventRow:
    """The local invite-only event, locked, when `inviter` organises it; else CannotInvite."""
    event = await event_store.lock_event(conn, event_ap_id)
    if event is None or not event.is_local or event.deleted_at is not None or event.actor_id is None:
        raise CannotInvite("this event is unknown or was deleted")
    if event.fields.join_mode != "invite":
        raise CannotInvite("only events by invitation take invitations")
    if inviter.id != event.actor_id and inviter.id not in await organiser_store.organiser_ids(conn, event.actor_id):
        raise CannotInvite("only the organiser may invite")
    return event


async def invite_to_event(fed: Federating, inviter: ActorRow, event_ap_id: str, invitee: ActorRow) -> str:
    """Invite `invitee` to a local invite-only event. Returns "invited" for a new
    invitation, ALREADY_INVITED when one is open already (nothing is sent again), or the
    attendee state of an actor who answered already (the answer is kept)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        event = await _organised_event(conn, inviter, event_ap_id)
        assert event.actor_id is not None
        current = await event_store.attendee(conn, event.object_id, invitee.id)
        if current is not None:
            return ALREADY_INVITED if current.state == "invited" else current.state
        organiser = await actor_store.actor_by_id(conn, event.actor_id)
        assert organiser is not None
        invite_id = new_activity_id(fed.settings)
        await event_store.upsert_attendee(conn, event.object_id, invitee.id, "invited", invite_id)
        if invitee.is_local:
            await object_store.add_recipients(conn, event.object_id, [invitee.id])
            await notify(conn, invitee.id, INVITE_KIND, organiser.id, event_ap_id)
        else:
            document = invite_document(invite_id, organiser, event_ap_id, invitee)
            await publish(conn, fed.settings, fed.keyring, organiser, document, inboxes=[invitee.inbox_url])
    return "invited"


class CannotTakeBack(LookupError):
    """There is no unanswered invitation of this actor to take back."""


def undo_invite_document(
    activity_id: str, organiser: ActorRow, event_ap_id: str, invitee: ActorRow, invite_id: str | None
) -> dict[str, Any]:
    """`Undo{Invite}`, the original Invite embedded (its id when known)."""
    invite = invite_document(invite_id or "", organiser, event_ap_id, invitee)
    del invite["@context"]
    if not invite_id:
        del invite["id"]
    return {
        "@context": event_context(),
        "id": activity_id,
        "type": "Undo",
        "actor": organiser.ap_id,
        "object": invite,
        "to": [invitee.ap_id],
    }


async def take_back_invitation(fed: Federating, inviter: ActorRow, event_ap_id: str, invitee: ActorRow) -> None:
    """The organiser takes back an invitation that has not been answered: it is removed
    here (a local invitee may no longer read a followers-only event through it, nor join)
    and a remote invitee is sent `Undo{Invite}`. Raises CannotInvite (not the organiser,
    no invite-only event) or CannotTakeBack (no open invitation)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        event = await _organised_event(conn, inviter, event_ap_id)
        assert event.actor_id is not None
        current = await event_store.attendee(conn, event.object_id, invitee.id)
        if current is None or current.state != "invited":
            raise CannotTakeBack("there is no open invitation to take back")
        await remove_invitation(conn, event.object_id, invitee)
        if not invitee.is_local:
            organiser = await actor_store.actor_by_id(conn, event.actor_id)
            assert organiser is not None
            document = undo_invite_document(
                new_activity_id(fed.settings), organiser, event_ap_id, invitee, current.rsvp_ap_id
            )
            await publish(conn, fed.settings, fed.keyring, organiser, document, inboxes=[invitee.inbox_url])


async def remove_invitation(conn: Connection, event_object_id: int, invitee: ActorRow) -> bool:
    """An unanswered invitation removed (ours taken back, or another server's undone); a
    local invitee is no longer a recipient of the event, and their "invited" notification
    goes. False when none was open."""
    removed = await event_store.delete_invited_attendee(conn, event_object_id, invitee.id)
    if removed and invitee.is_local:
        await object_store.remove_recipient(conn, event_object_id, invitee.id)
        event_ap_id = await event_store.event_ap_id(conn, event_object_id)
        if event_ap_id is not None:
            await notification_store.delete_notifications_about(conn, invitee.id, INVITE_KIND, event_ap_id)
    return removed


class CannotAnswer(LookupError):
    """The resident has no open invitation to this event (or the event is gone)."""


async def record_invitation(
    conn: Connection, event_object_id: int, event_ap_id: str, invitee: ActorRow, inviter_id: int, invite_id: str
) -> str:
    """An Invite from another server to one of our residents, for an event of that server:
    the resident becomes an attendee in state `invited` (an answer given already stays),
    may read the event, and is told by a notification. Returns their attendee state."""
    current = await event_store.attendee(conn, event_object_id, invitee.id)
    if current is not None and current.state != "invited":
        return current.state
    await event_store.upsert_attendee(conn, event_object_id, invitee.id, "invited", invite_id)
    await object_store.add_recipients(conn, event_object_id, [invitee.id])
    await notify(conn, invitee.id, INVITE_KIND, inviter_id, event_ap_id)
    return "invited"


async def answer_invitation(fed: Federating, resident: ActorRow, event_ap_id: str, accept: bool) -> str:
    """The invited resident accepts (going) or declines. Our own event: recorded as an
    RSVP (capacity holds; raises rsvp.EventUnavailable when refused). Another server's
    event: `Accept{Invite}` or `Reject{Invite}` goes to its organiser, and the answer is
    recorded here at once (a Reject from the organiser, e.g. for a full event, removes it).
    Raises CannotAnswer when there is no open invitation."""
    event = await event_store.event_by_ap_id(fed.pool, event_ap_id)
    row = await event_store.attendee(fed.pool, event.object_id, resident.id) if event else None
    if event is None or event.deleted_at is not None or row is None or row.state != "invited":
        raise CannotAnswer("there is no open invitation to this event")
    if event.is_local:
        return await rsvp_domain.rsvp(fed, resident, event_ap_id, "going" if accept else "declined")
    organiser = await actor_store.actor_by_id(fed.pool, event.actor_id) if event.actor_id else None
    if organiser is None or organiser.is_local:
        raise CannotAnswer("the organiser of this event is unknown")
    answer = invitation_answer(new_activity_id(fed.settings), accept, resident, organiser, event_ap_id, row.rsvp_ap_id)
    state = "going" if accept else "declined"
    async with fed.pool.acquire() as conn, conn.transaction():
        current = await event_store.attendee(conn, event.object_id, resident.id)
        if current is None or current.state != "invited":
            raise CannotAnswer("there is no open invitation to this event")
        await event_store.upsert_attendee(conn, event.object_id, resident.id, state, answer["id"])
        await publish(conn, fed.settings, fed.keyring, resident, answer, inboxes=[organiser.inbox_url])
    return state


def invitation_answer(
    activity_id: str, accept: bool, resident: ActorRow, organiser: ActorRow, event_ap_id: str, invite_id: str | None
) -> dict[str, Any]:
    """`Accept{Invite}` or `Reject{Invite}`, the Invite embedded as Mobilizon answers one."""
    invite: dict[str, Any] = {
        "type": "Invite",
        "actor": organiser.ap_id,
        "object": event_ap_id,
        "target": resident.ap_id,
    }
    if invite_id:
        invite = {"id": invite_id, **invite}
    return {
        "@context": event_context(),
        "id": activity_id,
        "type": "Accept" if accept else "Reject",
        "actor": resident.ap_id,
        "object": invite,
        "to": [organiser.ap_id],
    }
