"""A private post or event planted in every feed's data never appears in any feed: Atom,
RSS, iCalendar, the JSON API and the embeds (see tests/server/feed_data.py)."""

from __future__ import annotations

from server.domain.calendar_feeds import issue_calendar_token
from server.storage import events as event_store
from tests.harness import Instance
from tests.server.feed_data import build_world

PUBLIC_PATHS = [
    "/feeds/instance.atom",
    "/feeds/instance.rss",
    "/feeds/neighbourhoods/oosterpark.atom",
    "/feeds/neighbourhoods/oosterpark.rss",
    "/feeds/residents/anna.atom",
    "/feeds/residents/anna.rss",
    "/feeds/tags/buurtfeest.atom",
    "/feeds/tags/buurtfeest.rss",
    "/calendar/instance.ics",
    "/calendar/neighbourhoods/oosterpark.ics",
    "/api/v1/neighbourhoods",
    "/api/v1/neighbourhoods?area=Oost",
    "/api/v1/neighbourhoods/oosterpark",
    "/api/v1/posts",
    "/api/v1/posts?neighbourhood=oosterpark",
    "/api/v1/posts?tag=buurtfeest",
    "/api/v1/events",
    "/api/v1/events?neighbourhood=oosterpark",
    "/api/v1/events?tag=buurtfeest",
    "/api/v1/events?near=52.36,4.92&radius=500",
    "/embed/neighbourhoods/oosterpark/events",
    "/embed/neighbourhoods/oosterpark/posts",
    "/embed/neighbourhoods/oosterpark/posts?format=fragment",
]


async def test_no_private_content_in_any_feed(instance: Instance) -> None:
    world = await build_world(instance)
    # anna "goes" to every private event too: her own calendar still shows public ones only
    rows = await instance.pool.fetch("SELECT id FROM objects WHERE type = 'Event'")
    for row in rows:
        await event_store.upsert_attendee(instance.pool, row["id"], world.resident.id, "going", None)
    token, _ = await issue_calendar_token(instance.pool, world.resident.id)
    for path in [*PUBLIC_PATHS, f"/calendar/my/{token}.ics"]:
        async with instance.session.get(instance.url(path)) as resp:
            body = await resp.read()
        assert resp.status == 200, path
        assert b"SECRET" not in body, path
        assert b"geheimpark" not in body, path
    async with instance.session.get(instance.url("/feeds/neighbourhoods/oosterpark.atom")) as resp:
        body = await resp.read()
    assert b"Welkom in de buurt" in body and b"Soep" in body  # the public ones are there
