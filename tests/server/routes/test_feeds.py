"""Atom, RSS and iCalendar feeds on a running instance: parsed by feedparser and
icalendar, validators and 304 answers, 404 for anything not public."""

from __future__ import annotations

import feedparser  # type: ignore[import-untyped]
import icalendar
from multidict import CIMultiDict

from server.domain.calendar_feeds import issue_calendar_token, revoke_calendar_token
from server.domain.feeds import feed_links
from server.storage import events as event_store
from server.urls import Urls
from tests.harness import Instance
from tests.server.feed_data import build_world, plant_event


async def _get(inst: Instance, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with inst.session.get(inst.url(path), headers=headers) as resp:
        return resp.status, CIMultiDict(resp.headers), await resp.read()


async def test_feed_of_a_hidden_or_unknown_neighbourhood_is_404(instance: Instance) -> None:
    await build_world(instance)
    for path in (
        "/feeds/neighbourhoods/geheimpark.atom",
        "/feeds/neighbourhoods/nobody.rss",
        "/feeds/residents/mallory.atom",  # suspended
        "/feeds/residents/oosterpark.atom",  # a neighbourhood is not a resident
        "/feeds/tags/not%20a%20tag.atom",
        "/calendar/neighbourhoods/geheimpark.ics",
        "/calendar/events/0000.ics",
        "/calendar/my/not-a-token.ics",
    ):
        status, _headers, body = await _get(instance, path)
        assert status == 404, path
        assert b"SECRET" not in body and b"geheim" not in body


async def test_neighbourhood_atom_feed_parses_and_lists_public_posts(instance: Instance) -> None:
    world = await build_world(instance)
    status, headers, body = await _get(instance, "/feeds/neighbourhoods/oosterpark.atom")
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Oosterpark"
    ids = {entry.id for entry in parsed.entries}
    assert ids == {p.ap_id for p in world.public_posts} | {world.public_events[0].ap_id}
    soup = next(e for e in parsed.entries if "Soep" in e.title)
    assert soup.content[0].value == "<p>Soep & <b>brood</b></p>"
    assert soup.author == "Anna"
    assert [t.term for t in soup.tags] == ["buurtfeest"]


async def test_rss_feeds_parse(instance: Instance) -> None:
    await build_world(instance)
    for path in (
        "/feeds/neighbourhoods/oosterpark.rss",
        "/feeds/instance.rss",
        "/feeds/tags/buurtfeest.rss",
        "/feeds/residents/anna.rss",
    ):
        status, headers, body = await _get(instance, path)
        assert status == 200, path
        assert headers["Content-Type"].startswith("application/rss+xml")
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.version == "rss20"
        assert parsed.entries, path


async def test_etag_and_last_modified_give_304(instance: Instance) -> None:
    await build_world(instance)
    path = "/feeds/neighbourhoods/oosterpark.atom"
    status, headers, _ = await _get(instance, path)
    assert status == 200 and headers["ETag"].startswith('"')
    status, again, body = await _get(instance, path, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
    status, _, _ = await _get(instance, path, **{"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    status, _, _ = await _get(instance, path, **{"If-None-Match": '"other"'})
    assert status == 200


async def test_a_new_post_changes_the_etag(instance: Instance) -> None:
    world = await build_world(instance)
    path = "/feeds/tags/buurtfeest.atom"
    _, before, _ = await _get(instance, path)
    from tests.server.feed_data import plant_object

    await plant_object(instance, world.resident, content="<p>Nog een</p>", tags=("buurtfeest",))
    status, after, body = await _get(instance, path, **{"If-None-Match": before["ETag"]})
    assert status == 200 and after["ETag"] != before["ETag"] and b"Nog een" in body


async def test_neighbourhood_calendar_parses_with_timezone_geo_and_cancellation(instance: Instance) -> None:
    world = await build_world(instance)
    cancelled = await plant_event(instance, world.group, name="Afgelaste markt", status="cancelled")
    status, headers, body = await _get(instance, "/calendar/neighbourhoods/oosterpark.ics")
    assert status == 200 and headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(body)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {world.public_events[0].ap_id, cancelled.ap_id}
    feest = events[world.public_events[0].ap_id]
    assert tuple(feest.decoded("GEO")) == (52.36, 4.92)
    assert feest["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert str(events[cancelled.ap_id]["STATUS"]) == "CANCELLED"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    status, _, _ = await _get(instance, "/calendar/neighbourhoods/oosterpark.ics", **{"If-None-Match": headers["ETag"]})
    assert status == 304


async def test_single_event_calendar(instance: Instance) -> None:
    world = await build_world(instance)
    uid = world.public_events[0].ap_id.rsplit("/", 1)[-1]
    status, _, body = await _get(instance, f"/calendar/events/{uid}.ics")
    assert status == 200
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Buurtfeest"


async def test_private_calendar_token_works_until_revoked(instance: Instance) -> None:
    world = await build_world(instance)
    row = await event_store.event_by_ap_id(instance.pool, world.public_events[0].ap_id)
    assert row is not None
    await event_store.upsert_attendee(instance.pool, row.object_id, world.resident.id, "going", None)
    token, token_row = await issue_calendar_token(instance.pool, world.resident.id, "telefoon")
    stored = await instance.pool.fetchval("SELECT token_hash FROM calendar_tokens WHERE id = $1", token_row.id)
    assert token.encode() not in bytes(stored)
    status, headers, body = await _get(instance, f"/calendar/my/{token}.ics")
    assert status == 200 and headers["Cache-Control"].startswith("private")
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
    assert uids == [world.public_events[0].ap_id]
    assert await revoke_calendar_token(instance.pool, world.resident.id, token_row.id)
    status, _, _ = await _get(instance, f"/calendar/my/{token}.ics")
    assert status == 404


def test_feed_links_for_html_pages() -> None:
    from server.config import Settings

    urls = Urls(Settings(domain="buurt.test", scheme="https"))
    links = feed_links(urls, "neighbourhoods/oosterpark", "Oosterpark", with_calendar=True)
    assert [link.type for link in links] == ["application/atom+xml", "application/rss+xml", "text/calendar"]
    assert links[0].href == "https://buurt.test/feeds/neighbourhoods/oosterpark.atom"
    assert links[2].to_html().startswith('<link rel="alternate" type="text/calendar"')
    assert urls.webcal(links[2].href) == "webcal://buurt.test/calendar/neighbourhoods/oosterpark.ics"
