"""Neighbourhoods: create one, edit its profile (name, description, area name, optional
GeoJSON boundary, avatar and banner) and its modes; a change is sent to its followers as
Update{Group}."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson

from server import hooks
from server.config import Settings
from server.convert.to_as import JSON, PublishedKey, actor_document, area_place
from server.domain import area_follows  # noqa: F401  (registers the area follow hook)
from server.domain.actors import create_local_actor
from server.domain.federation_context import Federating
from server.domain.membership import require_moderator
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow, Db
from server.storage.neighbourhoods import NeighbourhoodRow

MEMBERSHIP_MODES = ("open", "approval", "invitation")
POSTING_MODES = ("members", "moderated", "open")
MAX_BOUNDARY_BYTES = 256 * 1024
MAX_BOUNDARY_POSITIONS = 10_000
MAX_URL = 2048
LIMITS = {"name": 100, "description": 5000, "area_name": 200}


class InvalidProfile(ValueError):
    """A profile value that cannot be used; the message says why."""


def validate_boundary(value: Any) -> dict[str, Any] | None:
    """A GeoJSON Polygon or MultiPolygon (closed rings of [longitude, latitude] pairs in
    range, at most 10,000 positions and 256 KiB), or None."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidProfile("the boundary must be a GeoJSON Polygon or MultiPolygon")
    if len(orjson.dumps(value)) > MAX_BOUNDARY_BYTES:
        raise InvalidProfile(f"the boundary is larger than {MAX_BOUNDARY_BYTES // 1024} KiB")
    coordinates = value.get("coordinates")
    polygons = [coordinates] if value["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise InvalidProfile("the boundary has no coordinates")
    positions = sum(_check_polygon(polygon) for polygon in polygons)
    if positions > MAX_BOUNDARY_POSITIONS:
        raise InvalidProfile(f"the boundary has more than {MAX_BOUNDARY_POSITIONS} points")
    return {"type": value["type"], "coordinates": coordinates}


def _check_polygon(polygon: Any) -> int:
    if not isinstance(polygon, list) or not polygon:
        raise InvalidProfile("a polygon is a list of linear rings")
    count = 0
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            raise InvalidProfile("a ring has at least four positions")
        for position in ring:
            _check_position(position)
        if ring[0] != ring[-1]:
            raise InvalidProfile("a ring must end where it starts")
        count += len(ring)
    return count


def _check_position(position: Any) -> None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        raise InvalidProfile("a position is [longitude, latitude]")
    if not all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in position):
        raise InvalidProfile("coordinates must be finite numbers")
    longitude, latitude = position[0], position[1]
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise InvalidProfile("a position is out of range (longitude −180…180, latitude −90…90)")


def _check_url(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not value.startswith(("https://", "http://")) or len(value) > MAX_URL:
        raise InvalidProfile(f"{name} must be an http(s) URL of at most {MAX_URL} characters")
    return value


def validated_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The profile changes, checked; unknown names are refused."""
    known = {*LIMITS, "boundary", "avatar_url", "banner_url", "membership_mode", "posting_mode"}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidProfile(f"unknown profile field(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        if name in changes:
            text = str(changes[name] or "").strip()
            if len(text) > limit:
                raise InvalidProfile(f"{name} is longer than {limit} characters")
            out[name] = text
    if "boundary" in changes:
        out["boundary"] = validate_boundary(changes["boundary"])
    for name in ("avatar_url", "banner_url"):
        if name in changes:
            out[name] = _check_url(name, changes[name])
    if "membership_mode" in changes and changes["membership_mode"] not in MEMBERSHIP_MODES:
        raise InvalidProfile(f"membership_mode must be one of {', '.join(MEMBERSHIP_MODES)}")
    if "posting_mode" in changes and changes["posting_mode"] not in POSTING_MODES:
        raise InvalidProfile(f"posting_mode must be one of {', '.join(POSTING_MODES)}")
    out.update({k: changes[k] for k in ("membership_mode", "posting_mode") if k in changes})
    return out


def actor_mirror(changes: dict[str, Any]) -> dict[str, Any]:
    """The actors-row columns that show a profile change in the Group document."""
    mirror: dict[str, Any] = {}
    if changes.get("name"):
        mirror["name"] = changes["name"]
    if "description" in changes:
        mirror["summary"] = changes["description"]
    if "avatar_url" in changes:
        mirror["icon_url"] = changes["avatar_url"]
    if "banner_url" in changes:
        mirror["image_url"] = changes["banner_url"]
    if "membership_mode" in changes:
        mirror["manually_approves"] = changes["membership_mode"] != "open"
    return mirror


async def create_neighbourhood(
    fed: Federating, username: str, *, founder: ActorRow | None = None, **profile: Any
) -> ActorRow:
    """A new neighbourhood (Group actor); the founder, if any, becomes its admin."""
    changes = validated_changes(profile)
    group = await create_local_actor(
        fed.pool,
        fed.settings,
        kind="Group",
        username=username,
        name=changes.get("name", ""),
        summary=changes.get("description", ""),
        manually_approves=changes.get("membership_mode", "open") != "open",
    )
    async with fed.pool.acquire() as conn, conn.transaction():
        await neighbourhood_store.update_profile(conn, group.id, changes)
        await neighbourhood_store.update_group_actor(conn, group.id, actor_mirror(changes))
        if founder is not None:
            await membership_store.upsert_membership(conn, group.id, founder.id, state="accepted", role="admin")
            await follow_store.upsert_follow(conn, new_activity_id(fed.settings), founder.id, group.id, "accepted")
    refreshed = await actor_store.actor_by_id(fed.pool, group.id)
    assert refreshed is not None
    await hooks.run_neighbourhood_changed(fed, refreshed)
    return refreshed


async def actor_place(db: Db, actor: ActorRow) -> JSON | None:
    """A neighbourhood's area as its actor's `location` (None for every other actor)."""
    if actor.kind != "Group":
        return None
    hood = await neighbourhood_store.neighbourhood_by_actor_id(db, actor.id)
    return area_place(hood.area_name, hood.boundary) if hood is not None else None


async def published_actor_document(db: Db, actor: ActorRow, keys: Sequence[PublishedKey], settings: Settings) -> JSON:
    """The full AS2 document of a local actor as GET /actors/{name} serves it (for a
    neighbourhood with its `location`), for an Update{actor}."""
    return actor_document(actor, keys, settings, place=await actor_place(db, actor))


async def actor_update(db: Db, actor: ActorRow, settings: Settings) -> JSON:
    """Update{actor} carrying the local actor's whole document as GET /actors/{name}
    serves it now (its current keys; a neighbourhood's with its area), to the public and
    the actor's followers: what a profile edit, a key rotation, a move or a change of
    follower approval sends. Read `actor` again after changing it."""
    keys = await actor_store.keys_of_actor(db, actor.id)
    document = await published_actor_document(db, actor, keys, settings)
    return {
        "@context": document.get("@context", "https://www.w3.org/ns/activitystreams"),
        "id": new_activity_id(settings),
        "type": "Update",
        "actor": actor.ap_id,
        "object": {k: v for k, v in document.items() if k != "@context"},
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [actor.followers_url or actor.ap_id + "/followers"],
    }


async def update_profile(fed: Federating, editor: ActorRow, group: ActorRow, **profile: Any) -> NeighbourhoodRow:
    """A moderator edits the profile; followers get Update{Group}."""
    changes = validated_changes(profile)
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, editor)
        await neighbourhood_store.update_profile(conn, group.id, changes)
        await neighbourhood_store.update_group_actor(conn, group.id, actor_mirror(changes))
        refreshed = await actor_store.actor_by_id(conn, group.id)
        assert refreshed is not None
        update = await actor_update(conn, refreshed, fed.settings)
        await publish(conn, fed.settings, fed.keyring, refreshed, update, to_followers=True)
        hood = await neighbourhood_store.neighbourhood_by_actor_id(conn, group.id)
    assert hood is not None
    await hooks.run_neighbourhood_changed(fed, refreshed)
    return hood
