"""Event pages over plain HTTP: the composer validates next to the field, the page shows
details in the event's zone and the reader's language with a map link and calendar links,
RSVP (names for the organiser only, capacity), the organiser cancels, upcoming events and
feed links on the home and neighbourhood pages, and nothing private leaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain.events import create_event
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage.events import EventFields
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient

SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")


def event_form(**changes: str) -> dict[str, str]:
    values = {
        "name": "Buurtfeest <op het plein>",
        "description": "Kom ook!",
        "starts": f"{SOON}T14:00",
        "ends": f"{SOON}T17:00",
        "timezone": "Asia/Tokyo",
        "place_name": "Buurthuis",
        "street_address": "Van Ostadestraat 1",
        "postal_code": "1072 SW",
        "locality": "Amsterdam",
        "latitude": "52.35",
        "longitude": "4.89",
        "online_url": "",
        "capacity": "",
        "join_mode": "free",
        "visibility": "public",
    }
    values.update(changes)
    return values


async def publish(browser: PageClient, **changes: str) -> str:
    """Publish an event from the composer; the path of its page."""
    status, page, resp = await browser.submit("/compose/event", event_form(**changes))
    assert status == 200, page
    return str(resp.url.path)


async def test_rsvp_and_composer_refuse_visitors_and_forged_forms(open_instance: Instance) -> None:
    async with PageClient(open_instance) as visitor:
        async with visitor.session.post(open_instance.url("/objects/abc/rsvp"), data={"answer": "going"}) as resp:
            assert resp.status == 403  # no CSRF token
        await visitor.get("/")
        body = {"csrf": visitor.csrf(), "answer": "going"}
        url = open_instance.url("/objects/abc/rsvp")
        async with visitor.session.post(url, data=body, allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")
        async with visitor.session.get(open_instance.url("/compose/event"), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")


async def test_composer_shows_errors_next_to_fields_and_keeps_values(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        form = event_form(name="", timezone="Mars/Olympus", ends=f"{SOON}T10:00", capacity="-3", latitude="95")
        form["starts"] = "gisteren"
        status, page, _ = await browser.submit("/compose/event", form)
        assert status == 400
        for message in ("Give the event a name.", "Choose a time zone from the list.",
                        "Give a date and time like 2030-05-01 14:00.",
                        "Give a whole number from 1, or leave it empty for no limit.",
                        "Give a latitude between -90 and 90."):  # fmt: skip
            assert message in page
        assert 'value="Van Ostadestraat 1"' in page and 'aria-invalid="true"' in page
        status, page, _ = await browser.submit("/compose/event", event_form(ends=f"{SOON}T10:00"))
        assert status == 400 and "The end must be after the start." in page
        status, page, _ = await browser.submit("/compose/event", event_form(online_url="javascript:alert(1)"))
        assert status == 400 and "https://" in page


async def test_event_page_shows_details_in_the_event_zone_and_reader_language(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        path = await publish(browser)
        status, page = await browser.get(path)
        assert status == 200 and "Buurtfeest &lt;op het plein&gt;" in page
        assert "2:00\u202fPM" in page or "2:00 PM" in page  # 14:00 in Asia/Tokyo, as typed
        assert "Asia/Tokyo" in page and "Van Ostadestraat 1, 1072 SW Amsterdam" in page
        assert "https://www.openstreetmap.org/?mlat=52.35000&amp;mlon=4.89000" in page
        uid = path.rsplit("/", 1)[1]
        assert f"/calendar/events/{uid}.ics" in page and f"webcal://{open_instance.settings.domain}" in page
        assert "0 people are going" in page and "I'm going" in page
        browser.language = "nl"
        await browser.submit("/language", {"language": "nl", "next": path}, from_page="/")
        assert "Kom je?" in browser.last_page and "Toon de plek op OpenStreetMap" in browser.last_page
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(path)
        assert status == 200 and "Log in to answer" in page and "For the organiser" not in page


async def test_rsvp_counts_publicly_and_names_only_for_the_organiser(open_instance: Instance) -> None:
    async with PageClient(open_instance) as organiser, PageClient(open_instance) as bram:
        await organiser.register("anna")
        path = await publish(organiser, capacity="1")
        await bram.register("bram")
        status, page, _ = await bram.submit(f"{path}/rsvp", {"answer": "going"}, from_page=path)
        assert status == 200 and "Your answer: going." in page and "1 person is going" in page
        assert "/actors/bram</a>" not in page  # attendees' names are not for other residents
        status, page = await organiser.get(path)
        assert "1 person is going" in page and "/actors/bram</a>" in page
        status, page, _ = await organiser.submit(f"{path}/rsvp", {"answer": "going"}, from_page=path)
        assert status == 409 and "This event is full." in page
        status, page, _ = await organiser.submit(f"{path}/rsvp", {"answer": "dancing"}, from_page=path)
        assert status == 400 and "Choose one of the answers." in page
        status, page, _ = await bram.submit(f"{path}/rsvp", {"answer": "cancel"}, from_page=path)
        assert status == 200 and "0 people are going" in page and "Your answer" not in page


async def test_only_the_organiser_cancels_edits_or_postpones(open_instance: Instance) -> None:
    async with PageClient(open_instance) as organiser, PageClient(open_instance) as bram:
        await organiser.register("anna")
        path = await publish(organiser)
        await bram.register("bram")
        status, _, _ = await bram.submit(f"{path}/status", {"status": "cancelled"}, from_page=path)
        assert status == 404
        status, _ = await bram.get(f"{path}/edit")
        assert status == 404
        status, page = await organiser.get(f"{path}/edit")
        assert status == 200 and 'value="Buurtfeest &lt;op het plein&gt;"' in page
        status, page, _ = await organiser.submit(
            f"{path}/edit", event_form(name="Buurtfeest verzet", timezone="Europe/Amsterdam")
        )
        assert status == 200 and "Buurtfeest verzet" in page
        status, page, _ = await organiser.submit(f"{path}/status", {"status": "cancelled"}, from_page=path)
        assert status == 200 and "Status: Cancelled" in page and "I'm going" not in page


async def fields(name: str, days: int) -> EventFields:
    return EventFields(name=name, starts_at=datetime.now(UTC) + timedelta(days=days), timezone="Europe/Amsterdam")


async def test_upcoming_events_and_feed_links_on_home_and_neighbourhood(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        anna = await actor_store.local_actor(open_instance.pool, "anna")
        assert anna is not None
        group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
        await create_event(fed, group, await fields("Rommelmarkt", 3))
        await create_event(fed, group, await fields("Geheim overleg", 4), visibility="followers")
        await create_event(fed, group, await fields("Vorig jaar", -400))
        status, page = await browser.get("/compose/event?neighbourhood=oosterpark")
        assert '<option value="oosterpark" selected>' in page  # a moderator organises as the neighbourhood
        for path, calendar in (
            ("/", "/calendar/instance.ics"),
            ("/@oosterpark", "/calendar/neighbourhoods/oosterpark.ics"),
        ):
            status, page = await browser.get(path)
            assert status == 200 and "Upcoming events" in page and "Rommelmarkt" in page
            assert "Geheim overleg" not in page and "Vorig jaar" not in page
            assert f'type="text/calendar" href="{calendar}"' in page
            assert 'rel="alternate" type="application/atom+xml"' in page and "webcal://" in page
        status, page = await browser.get("/@anna")
        assert 'type="application/rss+xml"' in page


async def test_private_events_are_not_shown_or_answerable(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as other, PageClient(open_instance) as browser:
        await other.register("anna")
        await browser.register("bram")
        anna = await actor_store.local_actor(open_instance.pool, "anna")
        assert anna is not None
        secret = await create_event(fed, anna, await fields("Verjaardag", 5), visibility="followers")
        path = secret.ap_id.removeprefix(open_instance.settings.base_url)
        status, page = await browser.get(path)
        assert status == 404 and "Verjaardag" not in page
        status, _, _ = await browser.submit(f"{path}/rsvp", {"answer": "going"}, from_page="/")
        assert status == 404
        counts: Any = await open_instance.pool.fetchval("SELECT count(*) FROM event_attendees")
        assert counts == 0
