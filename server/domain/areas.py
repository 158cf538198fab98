"""Which public neighbourhoods and events lie in an area — a bounding box, or a point with a
radius — judged by the neighbourhoods' GeoJSON boundaries (server/domain/geometry.py), for
the public API; an event without its own coordinates lies where its neighbourhood does.

The database pre-selects by the stored bounding box of each boundary; the exact test runs
here. Neighbourhoods come by name and events by (start, id), so the API's cursor (the last
one returned) stays valid: this reads batches until the page is full or the candidates run
out, one query per batch.
"""

from __future__ import annotations

from dataclasses import replace

from server.domain import geometry
from server.domain.geometry import BBox
from server.storage import calendar_events as event_store
from server.storage import feeds as feed_store
from server.storage.actors import Db
from server.storage.calendar_events import EventRow, EventScope, EventWindow
from server.storage.feeds import PublicNeighbourhood

BATCH = 100


def _preselection(bbox: BBox | None, near: tuple[float, float, float] | None) -> BBox:
    """The box a boundary's stored box must overlap to be worth the exact test."""
    if bbox is not None:
        return bbox
    if near is not None:
        return geometry.bbox_around(*near)
    raise ValueError("an area needs a bbox or a point")


async def neighbourhoods_in_area(
    db: Db,
    *,
    area_name: str | None,
    after_username: str | None,
    limit: int,
    bbox: BBox | None,
    near: tuple[float, float, float] | None,
) -> list[PublicNeighbourhood]:
    """Up to `limit` public neighbourhoods after `after_username` whose boundary meets the
    box and/or comes within the radius of the point (`near`: lat, lon, metres)."""
    box = _preselection(bbox, near)
    found: list[PublicNeighbourhood] = []
    after = after_username
    while len(found) < limit:
        batch = await feed_store.public_neighbourhoods_in_box(
            db, area_name=area_name, after_username=after, limit=BATCH, box=box
        )
        for hood, boundary in batch:
            if geometry.matches_area(boundary, bbox=bbox, near=near):
                found.append(hood)
                if len(found) == limit:
                    break
        if len(batch) < BATCH:
            break
        after = batch[-1][0].username
    return found


async def events_in_area(db: Db, scope: EventScope, window: EventWindow, limit: int) -> list[EventRow]:
    """Up to `limit` public events in `scope` (which has a `bbox` and/or `near`) and `window`,
    soonest first: an event with its own coordinates by them (exact, in the query), one
    without by the boundary of a public neighbourhood that organised or announced it."""
    scope = replace(scope, boundary_box=_preselection(scope.bbox, scope.near))
    found: list[EventRow] = []
    while len(found) < limit:
        batch = await event_store.events_in_area_candidates(db, scope, window, BATCH)
        for candidate in batch:
            if candidate.boundaries is None or any(
                geometry.matches_area(b, bbox=scope.bbox, near=scope.near) for b in candidate.boundaries
            ):
                found.append(candidate.event)
                if len(found) == limit:
                    break
        if len(batch) < BATCH:
            break
        window = event_store.next_window(window, batch[-1].event)
    return found
