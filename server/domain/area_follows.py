"""An organisation (a gemeente, a library) follows every public neighbourhood of an area at
once — by area name, by a bounding box or around a point (judged by each neighbourhood's
boundary) — and keeps following the area: a neighbourhood that comes into it later is
followed too. Each neighbourhood lists the institutions that follow it (storage.feeds).

The area is stored (storage.area_follows, migration 0014). When a local neighbourhood is
created or its profile changes (`hooks.neighbourhood_changed`), the area follows that cover
it and have not dealt with it yet follow it; each area follow follows a neighbourhood at
most once, so an organisation that unfollowed one is not made to follow it again.

An organisation lists its area follows and ends one (end_area_follow): the area is no longer
followed, and the neighbourhoods it followed stay followed unless the organisation chooses
to unfollow them too.
"""

from __future__ import annotations

import logging
import math

from server import hooks
from server.domain import geometry
from server.domain.areas import neighbourhoods_in_area
from server.domain.federation_context import Federating
from server.domain.follows import follow, unfollow
from server.domain.geometry import BBox
from server.storage import actors as actor_store
from server.storage import area_follows as area_store
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow, Db
from server.storage.area_follows import AreaFollow, AreaFollowListed, Near
from server.storage.feeds import PublicNeighbourhood

log = logging.getLogger(__name__)

MAX_AREA_NEIGHBOURHOODS = 1000
PAGE = 100
MAX_RADIUS_M = 100_000.0
MAX_AREA_NAME = 200


class NotAnOrganisation(PermissionError):
    """Only Organization accounts follow whole areas."""


class InvalidArea(ValueError):
    """An area that cannot be followed; the message says why, `field` which part is wrong:
    "area_name", "bbox", "near", "radius", or "area" (nothing given)."""

    def __init__(self, message: str, field: str = "area") -> None:
        super().__init__(message)
        self.field = field


class UnknownAreaFollow(LookupError):
    """The organisation has no area follow with this id."""


def _check_area(area_name: str | None, bbox: BBox | None, near: Near | None) -> None:
    if area_name is not None and (not area_name.strip() or len(area_name) > MAX_AREA_NAME):
        raise InvalidArea(f"an area name has 1 to {MAX_AREA_NAME} characters", "area_name")
    if area_name is None and bbox is None and near is None:
        raise InvalidArea("an area needs a name, a box or a point")
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        if not all(math.isfinite(v) for v in bbox) or not (
            -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90
        ):
            raise InvalidArea("a box is min_lon, min_lat, max_lon, max_lat within −180…180 and −90…90", "bbox")
    if near is not None:
        lat, lon, radius = near
        if not all(math.isfinite(v) for v in near) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidArea("a point is a latitude (−90…90) and a longitude (−180…180)", "near")
        if not 0 < radius <= MAX_RADIUS_M:
            raise InvalidArea(f"a radius is more than 0 and at most {MAX_RADIUS_M:.0f} metres", "radius")


async def _follow_once(
    fed: Federating, organisation: ActorRow, area: AreaFollow, group_id: int, group_ap_id: str
) -> str | None:
    """Follow the neighbourhood for this area follow unless it did already; the Follow's id."""
    if not await area_store.record_followed(fed.pool, area.id, group_id):
        return None
    if await follow_store.follow_state(fed.pool, organisation.id, group_id) is not None:
        return None
    try:
        return await follow(fed, organisation, group_ap_id)
    except BaseException:
        await area_store.forget_followed(fed.pool, area.id, group_id)  # tried again next time
        raise


async def _matching(
    fed: Federating, area_name: str | None, bbox: BBox | None, near: Near | None, after: str | None
) -> list[PublicNeighbourhood]:
    if bbox is None and near is None:
        return await feed_store.public_neighbourhoods(fed.pool, area_name=area_name, after_username=after, limit=PAGE)
    return await neighbourhoods_in_area(
        fed.pool, area_name=area_name, after_username=after, limit=PAGE, bbox=bbox, near=near
    )


def _require_organisation(organisation: ActorRow) -> None:
    if organisation.kind != "Organization" or not organisation.is_local:
        raise NotAnOrganisation("only a local Organization account can follow an area")


async def follow_area(
    fed: Federating,
    organisation: ActorRow,
    area_name: str | None = None,
    *,
    bbox: BBox | None = None,
    near: Near | None = None,
) -> list[str]:
    """Follow each public neighbourhood of the area that the organisation does not follow
    yet — whose area is `area_name` (case-insensitive), whose boundary meets `bbox`
    (min_lon, min_lat, max_lon, max_lat) and comes within `near` (lat, lon, metres); all
    that are given must hold — and keep following the area. Returns the ap_ids of the new
    Follows."""
    _, started = await start_area_follow(fed, organisation, area_name, bbox=bbox, near=near)
    return started


async def start_area_follow(
    fed: Federating,
    organisation: ActorRow,
    area_name: str | None = None,
    *,
    bbox: BBox | None = None,
    near: Near | None = None,
) -> tuple[AreaFollow, list[str]]:
    """follow_area, also returning the stored area follow (made now, or the same area's
    from before)."""
    _require_organisation(organisation)
    area_name = area_name.strip() if area_name is not None else None
    _check_area(area_name, bbox, near)
    pre = bbox if bbox is not None else geometry.bbox_around(*near) if near is not None else None
    area = await area_store.save_area_follow(
        fed.pool, organisation.id, area_name=area_name, bbox=bbox, near=near, pre=pre
    )
    started: list[str] = []
    after: str | None = None
    seen = 0
    while seen < MAX_AREA_NEIGHBOURHOODS:
        found = await _matching(fed, area_name, bbox, near, after)
        for neighbourhood in found:
            followed = await _follow_once(fed, organisation, area, neighbourhood.actor_id, neighbourhood.ap_id)
            if followed is not None:
                started.append(followed)
        seen += len(found)
        if len(found) < PAGE:
            break
        after = found[-1].username
    return area, started


async def area_follows_of(db: Db, organisation: ActorRow) -> list[AreaFollowListed]:
    """The organisation's area follows, oldest first, with how many neighbourhoods each has
    followed (and still does) and how many ending it with `unfollow_neighbourhoods` unfollows."""
    _require_organisation(organisation)
    return await area_store.area_follows_of(db, organisation.id)


async def end_area_follow(
    fed: Federating, organisation: ActorRow, area_follow_id: int, *, unfollow_neighbourhoods: bool = False
) -> int:
    """Stop the area follow: neighbourhoods that come into the area later are not followed.
    The neighbourhoods it followed stay followed, unless `unfollow_neighbourhoods`: then
    each whose follow this area follow started — not one the organisation followed before,
    nor one another of its area follows reached too — is unfollowed with
    server.domain.follows.unfollow, as a resident unfollows (area follows reach only this
    server's neighbourhoods, so no Undo{Follow} leaves the server). Returns how many were
    unfollowed."""
    _require_organisation(organisation)
    own = await area_store.own_neighbourhoods(fed.pool, organisation.id, area_follow_id)
    if own is None or not await area_store.delete_area_follow(fed.pool, organisation.id, area_follow_id):
        raise UnknownAreaFollow(f"there is no area follow {area_follow_id} of {organisation.username}")
    unfollowed = 0
    if unfollow_neighbourhoods:
        for neighbourhood_id in own:
            target = await actor_store.actor_by_id(fed.pool, neighbourhood_id)
            if target is None or await follow_store.follow_state(fed.pool, organisation.id, target.id) is None:
                continue
            await unfollow(fed, organisation, target)
            unfollowed += 1
    log.info("area follow ended", extra={"area_follow": area_follow_id, "unfollowed": unfollowed})
    return unfollowed


async def follow_areas_covering(fed: Federating, group: ActorRow) -> list[str]:
    """The stored area follows that cover this neighbourhood now (and have not dealt with it
    yet) follow it; returns the ap_ids of the new Follows."""
    started: list[str] = []
    for area, boundary in await area_store.pending_for_neighbourhood(fed.pool, group.id):
        if (area.bbox is not None or area.near is not None) and not geometry.matches_area(
            boundary, bbox=area.bbox, near=area.near
        ):
            continue
        organisation = await actor_store.actor_by_id(fed.pool, area.organisation_id)
        if organisation is None:
            continue
        followed = await _follow_once(fed, organisation, area, group.id, group.ap_id)
        if followed is not None:
            log.info("area follow followed a neighbourhood", extra={"area_follow": area.id, "group": group.ap_id})
            started.append(followed)
    return started


async def on_neighbourhood_changed(fed: Federating, group: ActorRow) -> None:
    await follow_areas_covering(fed, group)


if on_neighbourhood_changed not in hooks.neighbourhood_changed:
    hooks.neighbourhood_changed.append(on_neighbourhood_changed)
