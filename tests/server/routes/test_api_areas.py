"""Area filters of the neighbourhood list: a neighbourhood with a GeoJSON boundary matches
`bbox` and `near` + `radius` by its boundary (holes included, edges crossing a box, the
distance to its nearest edge), not by its area name; one without a boundary never does;
a hidden one never appears; pages follow the cursor; the stored box follows the boundary.
An event without its own coordinates lies where the neighbourhood that organised or
announced it lies."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from server.domain import areas, geometry
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import neighbourhoods as neighbourhood_store
from tests.harness import Instance
from tests.server.domain.test_geometry import SQUARE, TWO
from tests.server.feed_data import SOON, plant_event


async def _names(inst: Instance, query: str) -> list[str]:
    async with inst.session.get(inst.url("/api/v1/neighbourhoods?" + query)) as resp:
        assert resp.status == 200, (query, await resp.text())
        body: Any = await resp.json()
    return [n["name"] for n in body["items"]]


async def _hood(inst: Instance, username: str, boundary: dict[str, Any] | None, area: str = "") -> int:
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username=username)
    await neighbourhood_store.update_profile(inst.pool, group.id, {"boundary": boundary, "area_name": area})
    return group.id


async def test_neighbourhoods_match_areas_by_their_boundary(instance: Instance) -> None:
    await _hood(instance, "polder", SQUARE, "Oost")
    await _hood(instance, "tweeling", TWO, "Utrecht")
    await _hood(instance, "zonder", None, "Oost")  # no boundary: never matches a place
    hidden = await _hood(instance, "verborgen", SQUARE, "Oost")
    await instance.pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", hidden)

    assert await _names(instance, "area=Oost") == ["polder", "zonder"]  # by name, as before
    everything = "bbox=-180,-90,180,90"
    assert await _names(instance, everything) == ["polder", "tweeling"]
    # a box inside polder's hole does not meet polder (whose stored box holds it); tweeling's
    # copy of the square has no hole
    assert await _names(instance, "bbox=4.908,52.364,4.912,52.366") == ["tweeling"]
    # a band across the square: no corner of either inside the other, but the edges cross
    assert await _names(instance, "bbox=4.85,52.3650,4.95,52.3655") == ["polder", "tweeling"]
    assert await _names(instance, "bbox=5.105,52.0,5.2,52.092") == ["tweeling"]
    assert await _names(instance, "bbox=4.85,52.3650,4.95,52.3655&area=oost") == ["polder"]

    # a point inside, in the hole (the hole's edge is 222 m away), and north of the square
    assert await _names(instance, "near=52.361,4.901&radius=10") == ["polder", "tweeling"]
    assert await _names(instance, "near=52.365,4.91&radius=100") == ["tweeling"]
    assert await _names(instance, "near=52.365,4.91&radius=300") == ["polder", "tweeling"]
    assert await _names(instance, "near=52.38,4.91&radius=1000") == []
    assert await _names(instance, "near=52.38,4.91&radius=1200") == ["polder", "tweeling"]
    assert await _names(instance, "near=52.38,4.91&radius=1200&bbox=5,52,6,53") == ["tweeling"]

    # keyset pages through the matches
    async with instance.session.get(instance.url(f"/api/v1/neighbourhoods?{everything}&limit=1")) as resp:
        first = await resp.json()
    assert [n["name"] for n in first["items"]] == ["polder"] and first["next_cursor"]
    async with instance.session.get(
        instance.url(f"/api/v1/neighbourhoods?{everything}&limit=1&cursor={first['next_cursor']}")
    ) as resp:
        second = await resp.json()
    assert [n["name"] for n in second["items"]] == ["tweeling"] and second["next_cursor"] is None

    for bad in ("bbox=1,2,3", "near=91,0", "radius=5", "near=52,4&radius=0"):
        async with instance.session.get(instance.url("/api/v1/neighbourhoods?" + bad)) as resp:
            assert resp.status == 400, bad


async def test_the_stored_box_follows_the_boundary(instance: Instance) -> None:
    group_id = await _hood(instance, "polder", TWO)

    async def stored() -> tuple[float | None, ...]:
        row = await instance.pool.fetchrow(
            "SELECT bbox_min_lon, bbox_min_lat, bbox_max_lon, bbox_max_lat FROM neighbourhoods WHERE actor_id = $1",
            group_id,
        )
        assert row is not None
        return tuple(row)

    assert await stored() == geometry.bbox_of(TWO)
    await neighbourhood_store.update_profile(instance.pool, group_id, {"boundary": SQUARE})
    assert await stored() == geometry.bbox_of(SQUARE)
    await neighbourhood_store.update_profile(instance.pool, group_id, {"boundary": None})
    assert await stored() == (None, None, None, None)
    assert await _names(instance, "bbox=-180,-90,180,90") == []


# A triangle whose stored box overlaps BAND while the triangle itself stays east of it.
CORNER = {
    "type": "Polygon",
    "coordinates": [[[4.945, 52.36], [4.965, 52.36], [4.965, 52.37], [4.945, 52.36]]],
}
BAND = "bbox=4.85,52.3650,4.95,52.3655"


async def _events(inst: Instance, query: str) -> tuple[list[str], str | None]:
    async with inst.session.get(inst.url("/api/v1/events?" + query)) as resp:
        assert resp.status == 200, (query, await resp.text())
        body: Any = await resp.json()
    return [e["name"] for e in body["items"]], body["next_cursor"]


async def test_events_without_coordinates_match_areas_by_their_neighbourhood(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = instance
    polder = await actor_store.actor_by_id(inst.pool, await _hood(inst, "polder", SQUARE))
    corner = await actor_store.actor_by_id(inst.pool, await _hood(inst, "hoek", CORNER))
    hidden = await actor_store.actor_by_id(inst.pool, await _hood(inst, "verborgen", SQUARE))
    without = await actor_store.actor_by_id(inst.pool, await _hood(inst, "zonder", None))
    assert polder and corner and hidden and without
    await inst.pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", hidden.id)
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")

    def at(hours: float) -> datetime:
        return SOON + timedelta(hours=hours)

    await plant_event(inst, polder, name="Plein", starts_at=at(1))
    await plant_event(inst, corner, name="Hoek1", starts_at=at(1.5))
    await plant_event(inst, polder, name="Utrecht", starts_at=at(2), latitude=52.09, longitude=5.12)
    await plant_event(inst, corner, name="Hoek2", starts_at=at(2.5))
    await plant_event(inst, anna, name="Aangekondigd", starts_at=at(3), group=polder)
    await plant_event(inst, corner, name="Hoek3", starts_at=at(4))
    await plant_event(inst, anna, name="Wacht", starts_at=at(5), group=polder, group_state="queued")
    await plant_event(inst, anna, name="Geheim", starts_at=at(6), group=hidden)
    await plant_event(inst, without, name="Nergens", starts_at=at(7))
    await plant_event(inst, anna, name="Los", starts_at=at(8))

    everything = "bbox=-180,-90,180,90"
    assert (await _events(inst, everything))[0] == ["Plein", "Hoek1", "Utrecht", "Hoek2", "Aangekondigd", "Hoek3"]
    # the band crosses polder's edges and runs past hoek's box, not hoek itself
    assert (await _events(inst, BAND))[0] == ["Plein", "Aangekondigd"]
    # a box inside polder's hole: polder's stored box holds it, its area does not
    assert (await _events(inst, "bbox=4.908,52.364,4.912,52.366"))[0] == []
    # Utrecht is placed by its own coordinates, not by its organiser's boundary
    assert (await _events(inst, "bbox=5,52,5.2,52.2"))[0] == ["Utrecht"]
    assert (await _events(inst, "near=52.361,4.901&radius=10"))[0] == ["Plein", "Aangekondigd"]
    assert (await _events(inst, "near=52.38,4.91&radius=1000"))[0] == []
    assert (await _events(inst, "near=52.38,4.91&radius=1200"))[0] == ["Plein", "Aangekondigd"]
    assert (await _events(inst, "near=52.09,5.12&radius=100"))[0] == ["Utrecht"]
    assert (await _events(inst, f"{BAND}&near=52.38,4.91&radius=1200&tag=nee"))[0] == []

    # small batches: the exact test skips hoek's candidates between pages; with limit=1 every
    # match comes exactly once, in order, and the last page has no cursor
    monkeypatch.setattr(areas, "BATCH", 2)
    for query in (BAND, everything, "near=52.38,4.91&radius=1200"):
        expected, _ = await _events(inst, query)
        seen: list[str] = []
        cursor: str | None = None
        for _page in range(len(expected)):
            names, cursor = await _events(inst, f"{query}&limit=1" + (f"&cursor={cursor}" if cursor else ""))
            seen += names
            if cursor is None:
                break
        assert seen == expected and cursor is None, query
