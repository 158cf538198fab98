"""Area filters of the neighbourhood list: a neighbourhood with a GeoJSON boundary matches
`bbox` and `near` + `radius` by its boundary (holes included, edges crossing a box, the
distance to its nearest edge), not by its area name; one without a boundary never does;
a hidden one never appears; pages follow the cursor; the stored box follows the boundary."""

from __future__ import annotations

from typing import Any

from server.domain import geometry
from server.domain.actors import create_local_actor
from server.storage import neighbourhoods as neighbourhood_store
from tests.harness import Instance
from tests.server.domain.test_geometry import SQUARE, TWO


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
