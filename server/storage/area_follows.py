"""SQL for area follows (migration 0014): the areas an organisation follows — by area name,
by a bounding box, around a point — and which neighbourhoods each has followed, so a
neighbourhood that comes into a followed area later is followed once, and never again after
the organisation unfollowed it; an organisation's list of them, and ending one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from server.storage.actors import Db
from server.storage.feeds import PUBLIC_NEIGHBOURHOOD
from server.storage.pool import affected

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat
Near = tuple[float, float, float]  # lat, lon, radius in metres

_COLUMNS = """af.id, af.organisation_id, af.area_name, af.bbox_min_lon, af.bbox_min_lat, af.bbox_max_lon,
    af.bbox_max_lat, af.near_lat, af.near_lon, af.near_radius_m"""
# The neighbourhood (g, its profile n) is public; `a` stays free for the organisation.
_PUBLIC_HOOD = re.sub(r"\ba\.", "g.", PUBLIC_NEIGHBOURHOOD)


@dataclass(frozen=True)
class AreaFollow:
    id: int
    organisation_id: int
    area_name: str | None
    bbox: BBox | None
    near: Near | None


def _area_follow(record: Any) -> AreaFollow:
    box = (record["bbox_min_lon"], record["bbox_min_lat"], record["bbox_max_lon"], record["bbox_max_lat"])
    near = (record["near_lat"], record["near_lon"], record["near_radius_m"])
    return AreaFollow(
        id=int(record["id"]),
        organisation_id=int(record["organisation_id"]),
        area_name=record["area_name"],
        bbox=None if box[0] is None else box,
        near=None if near[0] is None else near,
    )


async def save_area_follow(
    db: Db, organisation_id: int, *, area_name: str | None, bbox: BBox | None, near: Near | None, pre: BBox | None
) -> AreaFollow:
    """The organisation's follow of this area, made now or found from before (an area name
    is compared case-insensitively); `pre` is the box boundaries are pre-selected by."""
    box = bbox or (None, None, None, None)
    point = near or (None, None, None)
    pre_box = pre or (None, None, None, None)
    row = await db.fetchrow(
        f"""INSERT INTO area_follows AS af (organisation_id, area_name, bbox_min_lon, bbox_min_lat, bbox_max_lon,
                bbox_max_lat, near_lat, near_lon, near_radius_m, pre_min_lon, pre_min_lat, pre_max_lon, pre_max_lat)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT DO NOTHING RETURNING {_COLUMNS}""",
        organisation_id,
        area_name,
        *box,
        *point,
        *pre_box,
    )
    if row is None:
        row = await db.fetchrow(
            f"""SELECT {_COLUMNS} FROM area_follows af
                WHERE af.organisation_id = $1 AND lower(af.area_name) IS NOT DISTINCT FROM lower($2)
                  AND af.bbox_min_lon IS NOT DISTINCT FROM $3 AND af.bbox_min_lat IS NOT DISTINCT FROM $4
                  AND af.bbox_max_lon IS NOT DISTINCT FROM $5 AND af.bbox_max_lat IS NOT DISTINCT FROM $6
                  AND af.near_lat IS NOT DISTINCT FROM $7 AND af.near_lon IS NOT DISTINCT FROM $8
                  AND af.near_radius_m IS NOT DISTINCT FROM $9""",
            organisation_id,
            area_name,
            *box,
            *point,
        )
    assert row is not None
    return _area_follow(row)


async def record_followed(db: Db, area_follow_id: int, neighbourhood_id: int) -> bool:
    """Remember that the area follow has dealt with the neighbourhood; False if it had, or
    if the area follow has just ended (its row deleted by a concurrent end)."""
    try:
        row = await db.fetchrow(
            """INSERT INTO area_follow_neighbourhoods (area_follow_id, neighbourhood_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING area_follow_id""",
            area_follow_id,
            neighbourhood_id,
        )
    except asyncpg.ForeignKeyViolationError:
        return False
    return row is not None


async def forget_followed(db: Db, area_follow_id: int, neighbourhood_id: int) -> None:
    await db.execute(
        "DELETE FROM area_follow_neighbourhoods WHERE area_follow_id = $1 AND neighbourhood_id = $2",
        area_follow_id,
        neighbourhood_id,
    )


async def pending_for_neighbourhood(db: Db, neighbourhood_id: int) -> list[tuple[AreaFollow, dict[str, Any] | None]]:
    """The area follows of local, visible organisations that may cover this public
    neighbourhood and have not dealt with it yet — by area name, and by its boundary's stored
    box overlapping theirs — each with the boundary for the exact test."""
    rows = await db.fetch(
        f"""SELECT {_COLUMNS}, n.boundary FROM area_follows af
            JOIN actors a ON a.id = af.organisation_id
            JOIN neighbourhoods n ON n.actor_id = $1
            JOIN actors g ON g.id = n.actor_id
            WHERE {_PUBLIC_HOOD}
              AND a.is_local AND a.kind = 'Organization' AND a.gone_at IS NULL AND a.suspended_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM area_follow_neighbourhoods x
                              WHERE x.area_follow_id = af.id AND x.neighbourhood_id = n.actor_id)
              AND (af.area_name IS NULL OR lower(af.area_name) = lower(n.area_name))
              AND (af.pre_min_lon IS NULL OR (n.bbox_min_lon IS NOT NULL
                   AND n.bbox_min_lon <= af.pre_max_lon AND n.bbox_max_lon >= af.pre_min_lon
                   AND n.bbox_min_lat <= af.pre_max_lat AND n.bbox_max_lat >= af.pre_min_lat))
            ORDER BY af.id""",
        neighbourhood_id,
    )
    return [(_area_follow(r), r["boundary"]) for r in rows]


@dataclass(frozen=True)
class AreaFollowListed:
    """An area follow as its organisation sees it: `followed` neighbourhoods it reached that
    the organisation still follows, `own` of those whose follow the area follow started itself
    and no other area follow of the organisation has reached (ending it may unfollow these)."""

    area: AreaFollow
    created_at: datetime
    followed: int
    own: int


# A neighbourhood the area follow reached (`x`) whose follow it started itself (the follow is
# no older than the record: a follow from before is the organisation's own) and that no other
# area follow of the same organisation has reached.
_OWN = """EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = af.organisation_id
                  AND f.followed_id = x.neighbourhood_id AND f.created_at >= x.followed_at)
          AND NOT EXISTS (SELECT 1 FROM area_follow_neighbourhoods y JOIN area_follows o ON o.id = y.area_follow_id
                          WHERE y.neighbourhood_id = x.neighbourhood_id AND o.organisation_id = af.organisation_id
                            AND o.id <> af.id)"""


async def area_follows_of(db: Db, organisation_id: int, limit: int = 500) -> list[AreaFollowListed]:
    """The organisation's area follows, oldest first, each with its counts."""
    rows = await db.fetch(
        f"""SELECT {_COLUMNS}, af.created_at,
                (SELECT count(*) FROM area_follow_neighbourhoods x JOIN follows f
                    ON f.follower_id = af.organisation_id AND f.followed_id = x.neighbourhood_id
                 WHERE x.area_follow_id = af.id) AS followed,
                (SELECT count(*) FROM area_follow_neighbourhoods x WHERE x.area_follow_id = af.id AND {_OWN}) AS own
            FROM area_follows af WHERE af.organisation_id = $1 ORDER BY af.id LIMIT $2""",
        organisation_id,
        limit,
    )
    return [
        AreaFollowListed(
            area=_area_follow(r), created_at=r["created_at"], followed=int(r["followed"]), own=int(r["own"])
        )
        for r in rows
    ]


async def own_neighbourhoods(db: Db, organisation_id: int, area_follow_id: int) -> list[int] | None:
    """The neighbourhoods whose follows this area follow of the organisation started and no
    other of its area follows reached (see AreaFollowListed.own); None if the organisation has
    no such area follow."""
    exists = await db.fetchval(
        "SELECT 1 FROM area_follows WHERE id = $1 AND organisation_id = $2", area_follow_id, organisation_id
    )
    if exists is None:
        return None
    rows = await db.fetch(
        f"""SELECT x.neighbourhood_id FROM area_follow_neighbourhoods x JOIN area_follows af ON af.id = x.area_follow_id
            WHERE af.id = $1 AND {_OWN} ORDER BY x.neighbourhood_id""",
        area_follow_id,
    )
    return [int(r["neighbourhood_id"]) for r in rows]


async def delete_area_follow(db: Db, organisation_id: int, area_follow_id: int) -> bool:
    """End the area follow (its record of reached neighbourhoods goes with it, ON DELETE
    CASCADE); False if the organisation has no such area follow."""
    status = await db.execute(
        "DELETE FROM area_follows WHERE id = $1 AND organisation_id = $2", area_follow_id, organisation_id
    )
    return affected(status) == 1
