"""What happens to an event after the first answers: the organiser declines a pending
attendee (a `Reject` of their Join, for a remote attendee; a notification for a local one), the organiser takes back a
cancellation or postponement (`Update{Event}` plus the Note for Mastodon, through
`server.domain.events.update_event`), and a resident withdraws an answer to any event (a
`Leave` or an `Undo` to a remote organiser). Approving a pending attendee is
`server.domain.rsvp.approve_attendee`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.convert.events import event_context, takes_join
from server.domain.events import own_event, update_event
from server.domain.federation_context import Federating
from server.domain.notifications import notify
from server.domain.publish import new_activity_id, publish
from server.domain.rsvp import FRIENDICA_ACTIVITY, answer_document, withdraw
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import EventRow

DECLINED_REASON = "the organiser did not accept this request to come"
DECLINED_KIND = "event_declined"  # a local attendee's notification: the organiser turned them down


async def decline_attendee(fed: Federating, organiser: ActorRow, event_ap_id: str, attendee: ActorRow) -> bool:
    """The organiser turns down a pending attendee: their answer goes (they may ask again),
    and a remote attendee's server gets a Reject with their Join as object. False when
    `organiser` does not organise the event or the attendee is not waiting."""
    async with fed.pool.acquire() as conn, conn.transaction():
        event = await event_store.lock_event(conn, event_ap_id)
        if event is None or event.actor_id != organiser.id or event.deleted_at is not None:
            return False
        row = await event_store.attendee(conn, event.object_id, attendee.id)
        if row is None or row.state != "pending":
            return False
        await event_store.delete_attendee(conn, event.object_id, attendee.id)
        if attendee.is_local:
            await notify(conn, attendee.id, DECLINED_KIND, organiser.id, event_ap_id)
        if not attendee.is_local and row.rsvp_ap_id:
            join = {"id": row.rsvp_ap_id, "type": "Join", "actor": attendee.ap_id, "object": event_ap_id}
            reject = answer_document(
                fed.settings.base_url, new_activity_id(fed.settings), "Reject", organiser, join, DECLINED_REASON
            )
            await publish(conn, fed.settings, fed.keyring, organiser, reject, inboxes=[attendee.inbox_url])
    return True


async def reschedule_event(fed: Federating, organiser: ActorRow, ap_id: str) -> dict[str, Any] | None:
    """Undo a cancellation (or a postponement): the event is scheduled again, sent as an
    Update to followers and attendees, with a Note for Mastodon. None when it already was."""
    current = await own_event(fed, organiser, ap_id)
    if current.fields.status == "scheduled":
        return None
    return await update_event(fed, organiser, ap_id, replace(current.fields, status="scheduled"))


async def withdraw_answer(fed: Federating, actor: ActorRow, event: EventRow) -> bool:
    """`actor` (local) no longer answers `event`. A local event: the answer goes. A remote
    one: the answer goes here, and its organiser gets a `Leave` (events that take Join)
    for someone going or waiting, else an `Undo` of the answer sent; a "not going" needs
    no message (the organiser does not count them either way)."""
    if event.is_local:
        async with fed.pool.acquire() as conn, conn.transaction():
            return await withdraw(conn, event, actor.id)
    organiser = await actor_store.actor_by_id(fed.pool, event.actor_id) if event.actor_id else None
    stored = await object_store.object_by_ap_id(fed.pool, event.ap_id)
    async with fed.pool.acquire() as conn, conn.transaction():
        row = await event_store.attendee(conn, event.object_id, actor.id)
        if row is None or not await event_store.delete_attendee(conn, event.object_id, actor.id):
            return False
        if organiser is None or organiser.gone_at is not None or row.state == "declined" or not row.rsvp_ap_id:
            return True
        joins = takes_join(stored.document or {}) if stored else False
        activity: dict[str, Any] = {
            "@context": event_context(),
            "id": new_activity_id(fed.settings),
            "actor": actor.ap_id,
            "to": [organiser.ap_id],
        }
        if joins and row.state in ("going", "pending"):
            activity.update(type="Leave", object=event.ap_id)
        else:
            answered = FRIENDICA_ACTIVITY.get(row.state, "Accept")
            inner = {"id": row.rsvp_ap_id, "type": answered, "actor": actor.ap_id, "object": event.ap_id}
            activity.update(type="Undo", object=inner)
        await publish(conn, fed.settings, fed.keyring, actor, activity, inboxes=[organiser.inbox_url])
    return True
