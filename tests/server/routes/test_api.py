"""The public JSON API on a running instance: filters, keyset pagination, CORS, 400s,
institutions that follow a neighbourhood, and 429 from the rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.domain.actors import create_local_actor
from server.storage import follows as follow_store
from tests.harness import PEER_ADDRESSES, Instance, running_instance
from tests.server.feed_data import SOON, build_world, plant_event, plant_object


async def _json(inst: Instance, path: str, **headers: str) -> tuple[int, Any]:
    async with inst.session.get(inst.url(path), headers=headers) as resp:
        return resp.status, await resp.json()


async def test_bad_parameters_are_400_with_a_reason(instance: Instance) -> None:
    for query in (
        "/api/v1/posts?limit=0",
        "/api/v1/posts?limit=abc",
        "/api/v1/posts?cursor=%%%",
        "/api/v1/posts?cursor=WyJlIiwgbnVsbCwgMSwgbnVsbF0",  # an events cursor on posts
        "/api/v1/posts?since=yesterday",
        "/api/v1/posts?since=2025-01-01T00:00:00",  # no offset
        "/api/v1/events?bbox=1,2,3",
        "/api/v1/events?bbox=5,5,1,1",
        "/api/v1/events?near=91,0",
        "/api/v1/events?near=52,4&radius=1e9",
        "/api/v1/events?radius=5",
        "/api/v1/events?tag=no%20spaces",
        "/api/v1/events?near=nan,1",
    ):
        status, body = await _json(instance, query)
        assert status == 400, query
        assert body["error"], query


async def test_unknown_or_hidden_neighbourhood_is_404(instance: Instance) -> None:
    await build_world(instance)
    for path in (
        "/api/v1/neighbourhoods/geheimpark",
        "/api/v1/posts?neighbourhood=geheimpark",
        "/api/v1/events?neighbourhood=nobody",
    ):
        status, body = await _json(instance, path)
        assert status == 404, path
        assert "SECRET" not in str(body)


async def test_neighbourhoods_list_filters_by_area_and_shows_institutions(instance: Instance) -> None:
    world = await build_world(instance)
    status, body = await _json(instance, "/api/v1/neighbourhoods?area=oost")
    assert status == 200
    assert [n["name"] for n in body["items"]] == ["oosterpark"]
    assert body["items"][0]["feeds"]["webcal"].startswith("webcal://")
    gemeente = await create_local_actor(instance.pool, instance.settings, kind="Organization", username="gemeente")
    person = await create_local_actor(instance.pool, instance.settings, kind="Person", username="piet")
    await follow_store.upsert_follow(instance.pool, "urn:f:1", gemeente.id, world.group.id, "accepted")
    await follow_store.upsert_follow(instance.pool, "urn:f:2", person.id, world.group.id, "accepted")
    status, detail = await _json(instance, "/api/v1/neighbourhoods/oosterpark")
    assert status == 200
    assert [i["handle"] for i in detail["institutions"]] == [f"gemeente@{instance.settings.domain}"]
    assert "<iframe" in detail["embeds"]["events"]["iframe"]


async def test_posts_pagination_visits_every_public_post_once(instance: Instance) -> None:
    world = await build_world(instance)
    base = datetime.now(UTC) - timedelta(days=1)
    same_time = base.replace(microsecond=0)
    for i in range(7):  # several posts share a timestamp: the id breaks the tie
        await plant_object(instance, world.group, content=f"<p>post {i}</p>", published_at=same_time)
    seen: list[str] = []
    path: str | None = "/api/v1/posts?neighbourhood=oosterpark&limit=3"
    for _ in range(10):
        assert path is not None
        status, body = await _json(instance, path)
        assert status == 200
        seen += [p["id"] for p in body["items"]]
        if body["next_cursor"] is None:
            break
        path = f"/api/v1/posts?neighbourhood=oosterpark&limit=3&cursor={body['next_cursor']}"
    assert len(seen) == len(set(seen)) == 10  # 2 posts, 1 event, 7 more
    assert not any("SECRET" in s for s in seen)


async def test_posts_filter_by_tag_and_date(instance: Instance) -> None:
    world = await build_world(instance)
    await plant_object(
        instance, world.group, content="<p>oud</p>", tags=("markt",), published_at=datetime(2020, 5, 1, tzinfo=UTC)
    )
    _status, body = await _json(instance, "/api/v1/posts?tag=markt")
    assert [p["content"] for p in body["items"]] == ["<p>oud</p>"]
    _status, body = await _json(instance, "/api/v1/posts?tag=markt&since=2021-01-01")
    assert body["items"] == []
    _status, body = await _json(instance, "/api/v1/posts?until=2020-06-01")
    assert [p["content"] for p in body["items"]] == ["<p>oud</p>"]


async def test_events_filter_by_area_and_dates(instance: Instance) -> None:
    world = await build_world(instance)
    await plant_event(instance, world.group, name="Utrecht", latitude=52.09, longitude=5.12)
    await plant_event(instance, world.group, name="Later", starts_at=SOON + timedelta(days=60))
    status, body = await _json(instance, "/api/v1/events?near=52.3601,4.9210&radius=2000")
    assert status == 200 and [e["name"] for e in body["items"]] == ["Buurtfeest"]
    status, body = await _json(instance, "/api/v1/events?bbox=5,52,5.2,52.2")
    assert [e["name"] for e in body["items"]] == ["Utrecht"]
    to = (SOON + timedelta(days=30)).date().isoformat()
    status, body = await _json(instance, f"/api/v1/events?to={to}")
    assert sorted(e["name"] for e in body["items"]) == ["Buurtfeest", "Utrecht"]
    status, body = await _json(instance, "/api/v1/events?tag=buurtfeest")
    assert [e["name"] for e in body["items"]] == ["Buurtfeest"]
    assert body["items"][0]["location"]["latitude"] == 52.36
    assert body["items"][0]["ics"].endswith(".ics")


async def test_cors_headers_and_preflight(instance: Instance) -> None:
    async with instance.session.get(instance.url("/api/v1/posts"), headers={"Origin": "https://gemeente.test"}) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in r.headers
    async with instance.session.options(
        instance.url("/api/v1/events"),
        headers={"Origin": "https://gemeente.test", "Access-Control-Request-Method": "GET"},
    ) as r:
        assert r.status == 204 and "GET" in r.headers["Access-Control-Allow-Methods"]
    async with instance.session.get(instance.url("/feeds/instance.atom")) as r:
        assert r.headers["Access-Control-Allow-Origin"] == "*"


async def test_too_many_requests_get_429_with_retry_after(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, api_rate_per_ip=1, api_burst_per_ip=3
    ) as inst:
        statuses = []
        for _ in range(6):
            async with inst.session.get(inst.url("/api/v1/neighbourhoods")) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert int(r.headers["Retry-After"]) >= 1
                    assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
