"""SQL for events (the typed side of Event objects) and their attendees."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import Record, affected

EVENT_STATUSES = ("scheduled", "cancelled", "postponed")
JOIN_MODES = ("free", "restricted", "invite", "external", "none")
ATTENDEE_STATES = ("going", "maybe", "declined", "pending", "invited")


@dataclass(frozen=True)
class EventFields:
    """What an event is, in our words: when, where, who may come."""

    name: str
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str | None = None
    place_name: str | None = None
    street_address: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None
    join_mode: str = "free"
    capacity: int | None = None
    status: str = "scheduled"
    reported_participants: int | None = None
    image_url: str | None = None  # the event's picture (`attachment`): our media or a remote URL
    image_media_type: str | None = None
    image_alt: str | None = None

    @property
    def has_place(self) -> bool:
        return any((self.place_name, self.street_address, self.locality, self.latitude is not None))


_FIELD_NAMES = [f.name for f in fields(EventFields)]


@dataclass(frozen=True)
class EventRow:
    object_id: int
    ap_id: str
    actor_id: int | None
    attributed_to: str
    visibility: str
    is_local: bool
    deleted_at: datetime | None
    fields: EventFields


@dataclass(frozen=True)
class AttendeeRow:
    id: int
    event_id: int
    actor_id: int
    state: str
    rsvp_ap_id: str | None


_SELECT = f"""SELECT o.id AS object_id, o.ap_id, o.actor_id, o.attributed_to, o.visibility, o.is_local,
    o.deleted_at, {", ".join("e." + n for n in _FIELD_NAMES)}
    FROM events e JOIN objects o ON o.id = e.object_id"""


def _event(row: Record | None) -> EventRow | None:
    if row is None:
        return None
    data = dict(row)
    values = {name: data.pop(name) for name in _FIELD_NAMES}
    return EventRow(**data, fields=EventFields(**values))


def _attendee(row: Record | None) -> AttendeeRow | None:
    return AttendeeRow(**dict(row)) if row else None


async def insert_event(db: Db, object_id: int, event: EventFields) -> None:
    values = asdict(event)
    names = ["object_id", *values]
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    await db.execute(
        f"INSERT INTO events ({', '.join(names)}) VALUES ({placeholders}) ON CONFLICT (object_id) DO NOTHING",
        object_id,
        *values.values(),
    )


async def update_event(db: Db, object_id: int, event: EventFields) -> bool:
    values = asdict(event)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(values, start=2))
    status = await db.execute(f"UPDATE events SET {assignments} WHERE object_id = $1", object_id, *values.values())
    return affected(status) == 1


async def event_by_ap_id(db: Db, ap_id: str) -> EventRow | None:
    return _event(await db.fetchrow(f"{_SELECT} WHERE o.ap_id = $1", ap_id))


async def event_ap_id(db: Db, object_id: int) -> str | None:
    value = await db.fetchval("SELECT ap_id FROM objects WHERE id = $1", object_id)
    return str(value) if value is not None else None


async def lock_event(db: Db, ap_id: str) -> EventRow | None:
    """The event, its row locked until the transaction ends (RSVPs to one event queue up,
    so capacity holds under concurrent Joins)."""
    return _event(await db.fetchrow(f"{_SELECT} WHERE o.ap_id = $1 FOR UPDATE OF e", ap_id))


async def attendee_counts(db: Db, event_id: int) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT state, count(*) AS n FROM event_attendees WHERE event_id = $1 GROUP BY state", event_id
    )
    counts = dict.fromkeys(ATTENDEE_STATES, 0)
    counts.update({r["state"]: int(r["n"]) for r in rows})
    return counts


async def local_going_since(db: Db, event_id: int, since: datetime | None) -> int:
    """Our residents going to the event whose answer was made after `since` (all of them
    when `since` is None)."""
    return int(
        await db.fetchval(
            """SELECT count(*) FROM event_attendees ea JOIN actors a ON a.id = ea.actor_id
               WHERE ea.event_id = $1 AND ea.state = 'going' AND a.is_local
                 AND ($2::timestamptz IS NULL OR ea.answered_at > $2)""",
            event_id,
            since,
        )
    )


async def attendee(db: Db, event_id: int, actor_id: int) -> AttendeeRow | None:
    return _attendee(
        await db.fetchrow(
            """SELECT id, event_id, actor_id, state, rsvp_ap_id FROM event_attendees
               WHERE event_id = $1 AND actor_id = $2""",
            event_id,
            actor_id,
        )
    )


async def attendee_by_rsvp(db: Db, rsvp_ap_id: str) -> AttendeeRow | None:
    return _attendee(
        await db.fetchrow(
            "SELECT id, event_id, actor_id, state, rsvp_ap_id FROM event_attendees WHERE rsvp_ap_id = $1",
            rsvp_ap_id,
        )
    )


async def upsert_attendee(db: Db, event_id: int, actor_id: int, state: str, rsvp_ap_id: str | None) -> None:
    """Record an RSVP: a new answer from the same actor replaces the old one (and its
    `answered_at`; an organiser's Accept of it, `set_attendee_state`, leaves that alone)."""
    await db.execute(
        """INSERT INTO event_attendees (event_id, actor_id, state, rsvp_ap_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_id, actor_id)
           DO UPDATE SET state = EXCLUDED.state, rsvp_ap_id = EXCLUDED.rsvp_ap_id, updated_at = now(),
                         answered_at = now()""",
        event_id,
        actor_id,
        state,
        rsvp_ap_id,
    )


async def set_attendee_state(db: Db, attendee_id: int, state: str) -> None:
    await db.execute("UPDATE event_attendees SET state = $2, updated_at = now() WHERE id = $1", attendee_id, state)


async def delete_attendee(db: Db, event_id: int, actor_id: int) -> bool:
    status = await db.execute("DELETE FROM event_attendees WHERE event_id = $1 AND actor_id = $2", event_id, actor_id)
    return affected(status) == 1


async def delete_invited_attendee(db: Db, event_id: int, actor_id: int) -> bool:
    """Remove an invitation that has not been answered; False when there is none open."""
    status = await db.execute(
        "DELETE FROM event_attendees WHERE event_id = $1 AND actor_id = $2 AND state = 'invited'", event_id, actor_id
    )
    return affected(status) == 1


async def attendee_ids(db: Db, event_id: int, state: str, limit: int) -> list[str]:
    """The actor ids of attendees in `state`, in the order they answered."""
    rows = await db.fetch(
        """SELECT a.ap_id FROM event_attendees ea JOIN actors a ON a.id = ea.actor_id
           WHERE ea.event_id = $1 AND ea.state = $2 ORDER BY ea.id LIMIT $3""",
        event_id,
        state,
        limit,
    )
    return [r["ap_id"] for r in rows]


async def attendee_inboxes(db: Db, event_id: int) -> list[str]:
    """Inboxes of remote attendees who have not declined (shared inboxes where known)."""
    rows = await db.fetch(
        """SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox
           FROM event_attendees ea JOIN actors a ON a.id = ea.actor_id
           WHERE ea.event_id = $1 AND ea.state <> 'declined' AND NOT a.is_local AND a.gone_at IS NULL""",
        event_id,
    )
    return [r["inbox"] for r in rows]
