"""The event composer's and edit form's time zone list: the common European zones first,
the default preselected (the neighbourhood's, else the instance's), a submitted zone kept
after an error, an unknown zone refused next to the field, and a start or end time the
clocks skip refused (in Dutch too) while a time that happens twice is the first one."""

from __future__ import annotations

from datetime import UTC, datetime

from server.domain.actors import create_local_actor
from server.storage import events as event_store
from tests.harness import Instance
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_pages import event_form, publish

SKIPPED = "This time does not exist in this time zone: the clocks go forward then. Choose another time."


def selected(page: str) -> list[str]:
    """The zones marked selected in the page's time zone list."""
    return [part.split("<", 1)[0] for part in page.split("<option selected>")[1:]]


async def test_the_composer_offers_a_list_with_the_default_selected(open_instance: Instance) -> None:
    group = await create_local_actor(
        open_instance.pool, open_instance.settings, kind="Group", username="oosterpark", name="Oosterpark"
    )
    await open_instance.pool.execute("UPDATE neighbourhoods SET timezone = 'Asia/Tokyo' WHERE actor_id = $1", group.id)
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page = await browser.get("/compose/event")
        assert status == 200 and '<label for="f-timezone">Time zone</label>' in page
        assert '<select id="f-timezone" name="timezone" aria-describedby=" f-timezone-help">' in page
        assert 'name="timezone" type="text"' not in page
        assert selected(page) == ["Europe/Amsterdam"]
        after = page.split('<optgroup label="Common in Europe">')[1]
        common, others = after.split('<optgroup label="All other time zones">')
        assert common.index(">Europe/Amsterdam</option>") < common.index("<option>Europe/Brussels</option>")
        assert "<option>America/New_York</option>" in others and "Europe/Brussels" not in others
        assert others.count("<option") > 500 and "localtime" not in others
        assert len(page) < 60_000  # about 600 short options, no values repeated
        _, page = await browser.get("/compose/event?neighbourhood=oosterpark")
        assert selected(page) == ["Asia/Tokyo"]
        _, page = await browser.get("/compose/event?neighbourhood=nergens")
        assert selected(page) == ["Europe/Amsterdam"]


async def test_a_submitted_zone_stays_after_an_error_and_an_unknown_one_is_refused(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page, _ = await browser.submit("/compose/event", event_form(name="", timezone="America/New_York"))
        assert status == 400 and "Give the event a name." in page
        assert selected(page) == ["America/New_York"] and 'id="f-timezone-error"' not in page
        status, page, _ = await browser.submit("/compose/event", event_form(timezone="Mars/Olympus"))
        assert status == 400 and 'id="f-timezone-error"' in page and "Choose a time zone from the list." in page
        assert 'name="timezone" aria-invalid="true" aria-describedby="f-timezone-error f-timezone-help"' in page
        assert selected(page) == [] and "Mars/Olympus" not in page
    async with PageClient(open_instance, language="nl") as bram:
        await bram.register("bram")
        status, page, _ = await bram.submit("/compose/event", event_form(timezone="Nergens/Stad"))
        assert status == 400 and "Kies een tijdzone uit de lijst." in page and "Veel gebruikt in Europa" in page


async def test_a_time_the_clocks_skip_is_refused_and_a_doubled_time_is_the_first(open_instance: Instance) -> None:
    # 31 March 2030: clocks in Amsterdam go from 02:00 to 03:00; 27 October 2030: from 03:00 back to 02:00
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        form = event_form(starts="2030-03-31T02:30", ends="2030-03-31T02:45", timezone="Europe/Amsterdam")
        status, page, _ = await anna.submit("/compose/event", form)
        assert status == 400 and 'id="f-starts-error"' in page and 'id="f-ends-error"' in page
        assert page.count(SKIPPED) == 2 and selected(page) == ["Europe/Amsterdam"]
        assert 'value="2030-03-31T02:30"' in page  # the typed value stays
        form = event_form(starts="2030-03-31T01:30", ends="2030-03-31T02:15", timezone="Europe/Amsterdam")
        status, page, _ = await anna.submit("/compose/event", form)
        assert status == 400 and 'id="f-ends-error"' in page and 'id="f-starts-error"' not in page
        path = await publish(anna, starts="2030-03-31T02:30", ends="2030-03-31T03:30", timezone="Asia/Tokyo")
        event = await event_store.event_by_ap_id(open_instance.pool, open_instance.url(path))
        assert event is not None and event.fields.starts_at == datetime(2030, 3, 30, 17, 30, tzinfo=UTC)
        path = await publish(anna, starts="2030-10-27T02:30", ends="", timezone="Europe/Amsterdam")
        event = await event_store.event_by_ap_id(open_instance.pool, open_instance.url(path))
        assert event is not None and event.fields.starts_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)  # summer time

        status, page = await anna.get(path + "/edit")  # the edit form: the event's zone, the same checks
        assert status == 200 and selected(page) == ["Europe/Amsterdam"]
        edit = event_form(starts="2031-03-30T02:00", ends="", timezone="Europe/Amsterdam")
        status, page, _ = await anna.submit(path + "/edit", edit)
        assert status == 400 and 'id="f-starts-error"' in page and SKIPPED in page
        status, page, _ = await anna.submit(path + "/edit", {**edit, "timezone": "Mars/Olympus"})
        assert status == 400 and "Choose a time zone from the list." in page
        status, page, _ = await anna.submit(path + "/edit", {**edit, "name": "", "timezone": "Europe/Brussels"})
        assert status == 400 and selected(page) == ["Europe/Brussels"]
    async with PageClient(open_instance, language="nl") as bram:
        await bram.register("bram")
        form = event_form(starts="2030-03-31T02:30", ends="", timezone="Europe/Brussels")
        status, page, _ = await bram.submit("/compose/event", form)
        assert status == 400 and "Deze tijd bestaat niet in deze tijdzone: de klok gaat dan vooruit." in page
