"""Which public neighbourhoods lie in an area — a bounding box, or a point with a radius —
judged by their GeoJSON boundary (server/domain/geometry.py), for the public API.

The database pre-selects by the stored bounding box of each boundary; the exact test runs
here. Neighbourhoods come by name, so the API's cursor (the last name) stays valid: this
reads batches until the page is full or the candidates run out.
"""

from __future__ import annotations

from server.domain import geometry
from server.domain.geometry import BBox
from server.storage import feeds as feed_store
from server.storage.actors import Db
from server.storage.feeds import PublicNeighbourhood

BATCH = 100


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
    box = bbox if bbox is not None else geometry.bbox_around(*near) if near is not None else None
    if box is None:
        raise ValueError("an area needs a bbox or a point")
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
