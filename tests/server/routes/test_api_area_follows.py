"""The signed-in organisation's area follows in the JSON API: list, follow an area (400 for
a bad one), end one (keeping the follows, or with unfollow_neighbourhoods=true ending those
it started; a neighbourhood made in the area afterwards is not followed); 401 without a
session, 403 for a resident, for a form post and for another site's Origin, 415 for a body
that is not application/json."""

from __future__ import annotations

from typing import Any

from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient
from tests.server.web.test_area_follow_pages import organisation
from tests.server.web.test_organiser_pages import signed_in

PATH = "/api/v1/area-follows"
INSIDE = {"type": "Polygon", "coordinates": [[[4.86, 52.34], [4.87, 52.34], [4.87, 52.35], [4.86, 52.34]]]}


async def _call(browser: PageClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    async with browser.session.request(method, browser.instance.url(path), **kwargs) as resp:
        assert resp.content_type == "application/json"
        assert resp.headers["Cache-Control"] == "no-store"
        return resp.status, await resp.json()


async def _state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.local_actor(inst.pool, follower)
    b = await actor_store.local_actor(inst.pool, followed)
    assert a is not None and b is not None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def test_an_organisation_manages_its_area_follows_through_the_api(instance: Instance) -> None:
    fed = federating(instance)
    await create_neighbourhood(fed, "oosterpark", area_name="Oost")
    await create_neighbourhood(fed, "binnen", boundary=INSIDE)
    async with organisation(instance, "gemeente") as gemeente:
        assert await _call(gemeente, "GET", PATH) == (200, {"items": []})
        for body, words in (
            ({"bbox": [5, 52, 4, 53]}, "a box is"),
            ({"bbox": [1, 2, 3]}, "bbox must be 4 finite numbers"),
            ({"bbox": [1, 2, 3, True]}, "bbox must be 4 finite numbers"),
            ({"near": {"lat": 52, "lon": 4}}, "near must be an object"),
            ({"near": {"lat": 52, "lon": 4, "radius": 0}}, "a radius is"),
            ({"area_name": 5}, "area_name must be a string"),
            ({"area_name": "  "}, "an area name has"),
            ({}, "an area needs a name, a box or a point"),
            ({"area": "Oost"}, "unknown field 'area'"),
            ([], "the body must be a JSON object"),
        ):
            status, answer = await _call(gemeente, "POST", PATH, json=body)
            assert status == 400 and words in answer["error"], (body, answer)
        status, answer = await _call(
            gemeente, "POST", PATH, data=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert status == 400 and answer["error"] == "the body is not JSON"
        # a form post (what another site's page could send) is refused by the CSRF check
        async with gemeente.session.post(instance.url(PATH), data={"area_name": "Oost"}) as resp:
            assert resp.status == 403
        status, answer = await _call(gemeente, "POST", PATH, data="{}", headers={"Content-Type": "text/plain"})
        assert status == 415
        status, answer = await _call(gemeente, "POST", PATH, json={"area_name": "x" * 5000})
        assert status == 413
        status, answer = await _call(
            gemeente, "POST", PATH, json={"area_name": "Oost"}, headers={"Origin": "https://elders.example"}
        )
        assert status == 403 and "other sites" in answer["error"]
        assert await instance.pool.fetchval("SELECT count(*) FROM area_follows") == 0

        status, answer = await _call(gemeente, "POST", PATH, json={"area_name": "oost"})
        assert status == 201 and len(answer["new_follows"]) == 1
        by_name = answer["area_follow"]
        assert by_name["area_name"] == "oost" and by_name["bbox"] is None and by_name["near"] is None
        status, answer = await _call(
            gemeente,
            "POST",
            PATH,
            json={"bbox": [4.85, 52.33, 4.95, 52.40], "near": {"lat": 52.345, "lon": 4.865, "radius": 500}},
            headers={"Origin": instance.base_url},
        )
        assert status == 201 and len(answer["new_follows"]) == 1
        by_box = answer["area_follow"]
        assert by_box["bbox"] == [4.85, 52.33, 4.95, 52.40]
        assert by_box["near"] == {"lat": 52.345, "lon": 4.865, "radius": 500}
        status, answer = await _call(gemeente, "GET", PATH)
        assert status == 200 and [(i["id"], i["followed"], i["would_unfollow"]) for i in answer["items"]] == [
            (by_name["id"], 1, 1),
            (by_box["id"], 1, 1),
        ]

        # ended, keeping the follows: a neighbourhood made in the area later is not followed
        status, answer = await _call(gemeente, "DELETE", f"{PATH}/{by_name['id']}?unfollow_neighbourhoods=ja")
        assert status == 400
        status, answer = await _call(gemeente, "DELETE", f"{PATH}/{by_name['id']}")
        assert (status, answer) == (200, {"ended": by_name["id"], "unfollowed": 0})
        assert await _state(instance, "gemeente", "oosterpark") == "accepted"
        await create_neighbourhood(fed, "dapperbuurt", area_name="Oost")
        assert await _state(instance, "gemeente", "dapperbuurt") is None
        status, answer = await _call(gemeente, "DELETE", f"{PATH}/{by_name['id']}")
        assert status == 404

        # ended with the neighbourhoods it followed
        status, answer = await _call(gemeente, "DELETE", f"{PATH}/{by_box['id']}?unfollow_neighbourhoods=true")
        assert (status, answer) == (200, {"ended": by_box["id"], "unfollowed": 1})
        assert await _state(instance, "gemeente", "binnen") is None
        await create_neighbourhood(fed, "later", boundary=INSIDE)
        assert await _state(instance, "gemeente", "later") is None
        assert await _call(gemeente, "GET", PATH) == (200, {"items": []})
        status, answer = await _call(gemeente, "DELETE", f"{PATH}/abc")
        assert status == 404


async def test_the_area_follow_api_needs_an_organisations_session(instance: Instance) -> None:
    async with PageClient(instance) as visitor:
        for method, path in (("GET", PATH), ("POST", PATH), ("DELETE", f"{PATH}/1")):
            status, answer = await _call(visitor, method, path, json={"area_name": "Oost"})
            assert status == 401 and "sign in" in answer["error"]
    async with signed_in(instance, "anna") as anna:
        for method, path in (("GET", PATH), ("POST", PATH), ("DELETE", f"{PATH}/1")):
            status, answer = await _call(anna, method, path, json={"area_name": "Oost"})
            assert status == 403 and "organisation" in answer["error"]
    assert await instance.pool.fetchval("SELECT count(*) FROM area_follows") == 0
    async with instance.session.get(instance.url("/api/openapi.json")) as resp:
        document = await resp.json()
    assert set(document["paths"][PATH]) == {"get", "post"}
    assert set(document["paths"][PATH + "/{id}"]) == {"delete"}
