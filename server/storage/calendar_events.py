"""SQL for public events as calendars and the public API show them: public, undeleted
Event objects of visible actors (table events, migration 0003), one query per feed.
Shared calendars leave out events by actors on a *limited* domain; one event, one
organiser's or one attendee's calendar keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.feeds import (
    HAS_TAG,
    IN_NEIGHBOURHOOD,
    NOT_HELD_BACK,
    NOT_LIMITED_ACTOR,
    PUBLIC_NEIGHBOURHOOD,
    VISIBLE_ACTOR,
)

_PUBLIC_EVENT = f"""o.type = 'Event' AND o.visibility = 'public' AND o.deleted_at IS NULL AND {VISIBLE_ACTOR}
    AND {NOT_HELD_BACK}"""
EARTH_RADIUS_M = 6_371_000.0

# The public neighbourhoods (alias g, their profile n) an event (o) belongs to — the one
# that organises it, or one that announced it — whose boundary's stored bounding box
# (migration 0013) overlaps a box given as {min_lon}, {min_lat}, {max_lon}, {max_lat}.
_EVENT_NEIGHBOURHOODS = (
    "neighbourhoods n JOIN actors g ON g.id = n.actor_id WHERE "
    + re.sub(r"\ba\.", "g.", PUBLIC_NEIGHBOURHOOD)
    + """ AND n.boundary IS NOT NULL
    AND n.bbox_min_lon <= {max_lon} AND n.bbox_max_lon >= {min_lon}
    AND n.bbox_min_lat <= {max_lat} AND n.bbox_max_lat >= {min_lat}
    AND """
    + IN_NEIGHBOURHOOD.format(group="n.actor_id")
)


@dataclass(frozen=True)
class EventRow:
    id: int
    ap_id: str
    url: str
    name: str
    content: str
    starts_at: datetime
    ends_at: datetime | None
    timezone: str | None
    status: str
    place_name: str | None
    street_address: str | None
    locality: str | None
    postal_code: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    online_url: str | None
    published_at: datetime
    updated_at: datetime | None
    is_local: bool
    organiser_ap_id: str
    organiser_name: str
    organiser_url: str
    tags: tuple[str, ...]

    @property
    def address(self) -> str:
        parts = [self.street_address, " ".join(p for p in (self.postal_code, self.locality) if p), self.country]
        return ", ".join(p for p in parts if p)


_COLUMNS = """o.id, o.ap_id,
    CASE WHEN jsonb_typeof(o.document -> 'url') = 'string' THEN o.document ->> 'url' ELSE o.ap_id END AS url,
    e.name, o.content, e.starts_at, e.ends_at, e.timezone, e.status, e.place_name, e.street_address,
    e.locality, e.postal_code, e.country, e.latitude, e.longitude, e.online_url, o.published_at,
    o.updated_at, o.is_local, a.ap_id AS organiser_ap_id, a.name AS organiser_name,
    coalesce(a.url, a.ap_id) AS organiser_url,
    ARRAY(SELECT pt.name FROM post_tags pt WHERE pt.object_id = o.id ORDER BY pt.name) AS tags"""


@dataclass(frozen=True)
class EventScope:
    """Which events: a neighbourhood's (its own or addressed to it), one organiser's,
    one object, local ones only; optionally a tag and an area."""

    neighbourhood_id: int | None = None
    organiser_id: int | None = None
    ap_id: str | None = None
    attendee_id: int | None = None  # events this actor organises or goes (maybe) to
    local_only: bool = False
    tag: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lon, min_lat, max_lon, max_lat
    near: tuple[float, float, float] | None = None  # lat, lon, radius in metres
    # With an area (bbox/near): also take events without their own coordinates whose
    # neighbourhood's boundary box overlaps this box, as candidates for the exact test
    # (server.domain.areas.events_in_area). Without it only the event's own location counts.
    boundary_box: tuple[float, float, float, float] | None = None

    @property
    def has_area(self) -> bool:
        return self.bbox is not None or self.near is not None


@dataclass(frozen=True)
class EventWindow:
    """Events that have not ended by `ends_after`, starting before `starts_before`;
    keyset position after (starts_at, id)."""

    ends_after: datetime | None = None
    starts_before: datetime | None = None
    after_start: datetime | None = None
    after_id: int | None = None


def event_conditions(scope: EventScope, window: EventWindow, arg: Callable[[Any], str]) -> list[str]:
    """The WHERE conditions (over `objects o JOIN events e JOIN actors a`) of the public
    events in `scope` and `window`."""
    where = [_PUBLIC_EVENT]
    if scope.local_only:
        where.append("o.is_local")
    if scope.ap_id is not None:
        where.append(f"o.ap_id = {arg(scope.ap_id)}")
    if scope.organiser_id is not None:
        where.append(f"o.actor_id = {arg(scope.organiser_id)}")
    if scope.neighbourhood_id is not None:
        where.append(IN_NEIGHBOURHOOD.format(group=arg(scope.neighbourhood_id)))
    if scope.ap_id is None and scope.organiser_id is None and scope.attendee_id is None:
        where.append(NOT_LIMITED_ACTOR)  # a shared calendar: not one event, organiser or attendee
    if scope.attendee_id is not None:
        attendee = arg(scope.attendee_id)
        where.append(
            f"""(o.actor_id = {attendee} OR EXISTS (SELECT 1 FROM event_attendees ea
                WHERE ea.event_id = o.id AND ea.actor_id = {attendee} AND ea.state IN ('going', 'maybe')))"""
        )
    if scope.tag is not None:
        where.append(HAS_TAG.format(tag=arg(scope.tag)))
    if scope.has_area:
        where.append(_area_condition(scope, arg))
    if window.ends_after is not None:
        where.append(f"coalesce(e.ends_at, e.starts_at) >= {arg(window.ends_after)}")
    if window.starts_before is not None:
        where.append(f"e.starts_at < {arg(window.starts_before)}")
    if window.after_start is not None and window.after_id is not None:
        where.append(f"(e.starts_at, o.id) > ({arg(window.after_start)}, {arg(window.after_id)})")
    return where


def _own_location_condition(scope: EventScope, arg: Callable[[Any], str]) -> str:
    """The event's own coordinates lie in the box and within the radius (exact)."""
    where = ["e.latitude IS NOT NULL AND e.longitude IS NOT NULL"]
    if scope.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = (arg(v) for v in scope.bbox)
        where.append(f"e.latitude BETWEEN {min_lat} AND {max_lat} AND e.longitude BETWEEN {min_lon} AND {max_lon}")
    if scope.near is not None:
        lat, lon, radius = (arg(v) for v in scope.near)
        where.append(
            f"""2 * {EARTH_RADIUS_M} * asin(least(1, sqrt(
                power(sin(radians(e.latitude - {lat}) / 2), 2) + cos(radians({lat})) * cos(radians(e.latitude))
                * power(sin(radians(e.longitude - {lon}) / 2), 2)))) <= {radius}"""
        )
    return " AND ".join(where)


def _boundary_box_args(scope: EventScope, arg: Callable[[Any], str]) -> dict[str, str]:
    assert scope.boundary_box is not None
    return dict(zip(("min_lon", "min_lat", "max_lon", "max_lat"), (arg(v) for v in scope.boundary_box), strict=True))


def _area_condition(scope: EventScope, arg: Callable[[Any], str]) -> str:
    """By its own location when the event has one; else (with `boundary_box`) a candidate
    when one of its neighbourhoods' boundary boxes overlaps the box."""
    own = _own_location_condition(scope, arg)
    if scope.boundary_box is None:
        return f"({own})"
    hoods = _EVENT_NEIGHBOURHOODS.format(**_boundary_box_args(scope, arg))
    return f"""(({own}) OR ((e.latitude IS NULL OR e.longitude IS NULL) AND EXISTS (SELECT 1 FROM {hoods})))"""


async def _fetch(
    db: Db, scope: EventScope, window: EventWindow, limit: int, extra: Callable[[Callable[[Any], str]], str] | None
) -> list[Any]:
    params: list[Any] = []

    def arg(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    where = event_conditions(scope, window, arg)
    columns = _COLUMNS + (", " + extra(arg) if extra is not None else "")
    return list(
        await db.fetch(
            f"""SELECT {columns} FROM objects o JOIN events e ON e.object_id = o.id
                JOIN actors a ON a.id = o.actor_id
                WHERE {" AND ".join(where)}
                ORDER BY e.starts_at, o.id LIMIT {arg(limit)}""",
            *params,
        )
    )


async def public_events(db: Db, scope: EventScope, window: EventWindow, limit: int) -> list[EventRow]:
    """Public events in `scope` and `window`, soonest first. An area in `scope` is matched by
    the events' own location only; `events_in_area_candidates` also finds events placed by
    their neighbourhood's boundary."""
    if scope.boundary_box is not None:
        raise ValueError("candidates by boundary need the exact test: use events_in_area_candidates")
    return [_event(r) for r in await _fetch(db, scope, window, limit, None)]


@dataclass(frozen=True)
class AreaCandidate:
    """An event found for an area: matched by its own location (`boundaries` None), or
    without one, with the GeoJSON boundaries of its neighbourhoods whose box overlapped."""

    event: EventRow
    boundaries: list[dict[str, Any]] | None


async def events_in_area_candidates(db: Db, scope: EventScope, window: EventWindow, limit: int) -> list[AreaCandidate]:
    """One query: up to `limit` events in `scope` (with `boundary_box` set) and `window`,
    soonest first, with the boundaries to test exactly (server.domain.areas)."""
    if not scope.has_area or scope.boundary_box is None:
        raise ValueError("an area and its boundary box are needed")

    def boundaries(arg: Callable[[Any], str]) -> str:
        hoods = _EVENT_NEIGHBOURHOODS.format(**_boundary_box_args(scope, arg))
        return f"""CASE WHEN e.latitude IS NULL OR e.longitude IS NULL
            THEN (SELECT jsonb_agg(n.boundary ORDER BY n.actor_id) FROM {hoods}) END AS area_boundaries"""

    found = []
    for record in await _fetch(db, scope, window, limit, boundaries):
        values = dict(record)
        found.append(AreaCandidate(_event(values), values.pop("area_boundaries")))
    return found


def next_window(window: EventWindow, last: EventRow) -> EventWindow:
    """The same window, after `last` (keyset)."""
    return replace(window, after_start=last.starts_at, after_id=last.id)


def _event(record: Any) -> EventRow:
    values = {k: v for k, v in dict(record).items() if k != "area_boundaries"}
    values["tags"] = tuple(values["tags"] or ())
    return EventRow(**values)
