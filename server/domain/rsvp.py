"""RSVPs: one attendee model (going, maybe, declined, pending) for every dialect.

`decide_rsvp` holds the rules (deleted, cancelled, over, invitation only, no RSVPs, full,
organiser approval); `record_rsvp` applies them under a row lock on the event, so two
Joins for the last place cannot both get in. `rsvp` is a local actor's answer to any event:
a local one directly, a remote one in the dialect it speaks (Mobilizon's Join/Leave for
events that say how to join, Friendica's Accept/TentativeAccept/Reject otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitypub.jsonld import get_id
from server.convert.events import event_context, takes_join
from server.domain.content_notifications import notify_rsvp
from server.domain.events import now_utc, refreshed_document
from server.domain.federation_context import Federating
from server.domain.notifications import notify
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import EventRow
from server.storage.pool import Connection

ANSWERS = ("going", "maybe", "declined")
FRIENDICA_ACTIVITY = {"going": "Accept", "maybe": "TentativeAccept", "declined": "Reject"}
APPROVED_KIND = "event_approved"  # a local attendee's notification: the organiser let them in


class EventUnavailable(LookupError):
    """The event is unknown, deleted, or takes no answer from this actor; the message says why."""


@dataclass(frozen=True)
class RsvpDecision:
    """The attendee's new state, or why the RSVP is refused (`refusal`, sent in a Reject)
    or ignored (the event takes no RSVPs: answered with Ignore)."""

    state: str | None = None
    refusal: str | None = None
    ignored: bool = False


def decide_rsvp(event: EventRow | None, answer: str, *, going: int, current: str | None, now: datetime) -> RsvpDecision:
    if event is None or event.deleted_at is not None:
        return RsvpDecision(refusal="this event was deleted")
    fields = event.fields
    if fields.join_mode == "none":
        return RsvpDecision(ignored=True)
    if answer == "declined":
        return RsvpDecision(state="declined")
    if fields.status == "cancelled":
        return RsvpDecision(refusal="this event is cancelled")
    if (fields.ends_at or fields.starts_at) < now:
        return RsvpDecision(refusal="this event is over")
    if fields.join_mode == "invite" and current not in ("invited", "going", "maybe"):
        return RsvpDecision(refusal="this event is by invitation only")
    if fields.join_mode == "external":
        return RsvpDecision(refusal="answer on the organiser's own site")
    if current == "going":
        return RsvpDecision(state=answer)
    if answer == "going" and fields.capacity is not None and going >= fields.capacity:
        return RsvpDecision(refusal="this event is full")
    if fields.join_mode == "restricted":
        return RsvpDecision(state="pending")
    return RsvpDecision(state=answer)


async def record_rsvp(
    conn: Connection, event_ap_id: str, actor_id: int, answer: str, rsvp_ap_id: str | None, now: datetime
) -> tuple[EventRow | None, RsvpDecision]:
    """Apply an answer to a local event in the caller's transaction."""
    event = await event_store.lock_event(conn, event_ap_id)
    if event is None:
        return None, decide_rsvp(None, answer, going=0, current=None, now=now)
    counts = await event_store.attendee_counts(conn, event.object_id)
    existing = await event_store.attendee(conn, event.object_id, actor_id)
    decision = decide_rsvp(event, answer, going=counts["going"], current=existing.state if existing else None, now=now)
    if decision.state is not None:
        await event_store.upsert_attendee(conn, event.object_id, actor_id, decision.state, rsvp_ap_id)
        await refreshed_document(conn, event_ap_id, event.fields)
        if existing is None or existing.state != decision.state:
            await notify_rsvp(conn, event.actor_id, event_ap_id, actor_id, decision.state)
    return event, decision


async def withdraw(conn: Connection, event: EventRow, actor_id: int) -> bool:
    """The actor no longer answers (Leave, Undo): their row goes, the count follows."""
    removed = await event_store.delete_attendee(conn, event.object_id, actor_id)
    if removed and event.is_local and event.deleted_at is None:
        await refreshed_document(conn, event.ap_id, event.fields)
    return removed


async def approve_attendee(fed: Federating, organiser: ActorRow, event_ap_id: str, attendee: ActorRow) -> bool:
    """The organiser lets a pending attendee in (restricted events); capacity still holds."""
    async with fed.pool.acquire() as conn, conn.transaction():
        event = await event_store.lock_event(conn, event_ap_id)
        if event is None or event.actor_id != organiser.id or event.deleted_at is not None:
            return False
        row = await event_store.attendee(conn, event.object_id, attendee.id)
        counts = await event_store.attendee_counts(conn, event.object_id)
        if row is None or row.state != "pending":
            return False
        if event.fields.capacity is not None and counts["going"] >= event.fields.capacity:
            return False
        await event_store.set_attendee_state(conn, row.id, "going")
        await refreshed_document(conn, event_ap_id, event.fields)
        if attendee.is_local:
            await notify(conn, attendee.id, APPROVED_KIND, organiser.id, event_ap_id)
        if not attendee.is_local and row.rsvp_ap_id:
            join = {"id": row.rsvp_ap_id, "type": "Join", "actor": attendee.ap_id, "object": event_ap_id}
            await publish(
                conn,
                fed.settings,
                fed.keyring,
                organiser,
                answer_document(fed.settings.base_url, new_activity_id(fed.settings), "Accept", organiser, join),
                inboxes=[attendee.inbox_url],
            )
    return True


def answer_document(
    base: str, activity_id: str, kind: str, organiser: ActorRow, rsvp: dict[str, Any], reason: str | None = None
) -> dict[str, Any]:
    """Accept, Reject or Ignore of an RSVP, with the whole RSVP activity as object."""
    answer: dict[str, Any] = {
        "@context": event_context(),
        "id": activity_id,
        "type": kind,
        "actor": organiser.ap_id,
        "object": rsvp,
        "to": [get_id(rsvp.get("actor"))],
    }
    if reason:
        answer["summary"] = reason
        answer["content"] = f"<p>{reason}</p>"
    return answer


async def rsvp(fed: Federating, actor: ActorRow, event_ap_id: str, answer: str) -> str:
    """A local actor answers an event; returns the attendee state recorded here.

    Raises EventUnavailable when the event is unknown or refuses the answer."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}")
    event = await event_store.event_by_ap_id(fed.pool, event_ap_id)
    if event is None or event.deleted_at is not None:
        raise EventUnavailable("this event is unknown or was deleted")
    if event.is_local:
        async with fed.pool.acquire() as conn, conn.transaction():
            _, decision = await record_rsvp(conn, event_ap_id, actor.id, answer, None, now_utc())
        if decision.state is None:
            raise EventUnavailable(decision.refusal or "this event takes no RSVPs")
        return decision.state
    return await _remote_rsvp(fed, actor, event, answer)


async def _remote_rsvp(fed: Federating, actor: ActorRow, event: EventRow, answer: str) -> str:
    organiser = await actor_store.actor_by_id(fed.pool, event.actor_id) if event.actor_id else None
    stored = await object_store.object_by_ap_id(fed.pool, event.ap_id)
    if organiser is None or stored is None:
        raise EventUnavailable("the organiser of this event is unknown")
    join_dialect = takes_join(stored.document or {})
    async with fed.pool.acquire() as conn, conn.transaction():
        current = await event_store.attendee(conn, event.object_id, actor.id)
        kind, state = _outgoing(answer, join_dialect, current.state if current else None)
        activity_id = new_activity_id(fed.settings)
        activity: dict[str, Any] = {
            "@context": event_context(),
            "id": activity_id,
            "type": kind,
            "actor": actor.ap_id,
            "object": event.ap_id,
            "to": [organiser.ap_id],
        }
        await event_store.upsert_attendee(conn, event.object_id, actor.id, state, activity_id)
        await publish(conn, fed.settings, fed.keyring, actor, activity, inboxes=[organiser.inbox_url])
    return state


def _outgoing(answer: str, join_dialect: bool, current: str | None) -> tuple[str, str]:
    """(activity type, local state) for an answer to a remote event."""
    if join_dialect and answer == "going":
        return "Join", "pending"  # going once the organiser's Accept arrives
    if join_dialect and answer == "declined" and current in ("going", "pending"):
        return "Leave", "declined"
    return FRIENDICA_ACTIVITY[answer], answer
