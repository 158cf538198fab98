"""The poll composer's time zone: the default (the neighbourhood's, else the instance's),
offered as a list, the end time read in the chosen zone and sent in UTC, the poll page showing it in that
zone with the zone named (Dutch and English), and the errors next to the fields."""

from __future__ import annotations

from datetime import UTC, datetime

from server.domain.actors import create_local_actor
from server.domain.polls import create_poll
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


def poll_form(**changes: str) -> dict[str, str]:
    values = {"question": "Wanneer is het buurtfeest?", "option1": "Zaterdag", "option2": "Zondag", "multiple": "",
              "ends": "", "timezone": "Europe/Amsterdam", "visibility": "public"}  # fmt: skip
    values.update(changes)
    return values


async def test_the_composer_defaults_to_the_neighbourhoods_time_zone(open_instance: Instance) -> None:
    group = await create_local_actor(
        open_instance.pool, open_instance.settings, kind="Group", username="oosterpark", name="Oosterpark"
    )
    await open_instance.pool.execute("UPDATE neighbourhoods SET timezone = 'Asia/Tokyo' WHERE actor_id = $1", group.id)
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page = await browser.get("/compose/poll")
        assert status == 200 and '<select id="f-timezone" name="timezone"' in page
        assert page.count("<option selected>") == 1 and "<option selected>Europe/Amsterdam</option>" in page
        assert '<label for="f-timezone">Time zone</label>' in page
        assert page.index('<optgroup label="Common in Europe">') < page.index("<option>Europe/Brussels</option>")
        assert page.index("<option>Europe/Brussels</option>") < page.index('<optgroup label="All other time zones">')
        _, page = await browser.get("/compose/poll?neighbourhood=oosterpark")
        assert page.count("<option selected>") == 1 and "<option selected>Asia/Tokyo</option>" in page
        _, page = await browser.get("/compose/poll?neighbourhood=nergens")
        assert page.count("<option selected>") == 1 and "<option selected>Europe/Amsterdam</option>" in page


async def test_the_end_time_is_read_in_the_chosen_zone_and_shown_there(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        form = poll_form(ends="2030-01-15T09:00", timezone="America/New_York")
        status, page, resp = await anna.submit("/compose/poll", form)
        assert status == 200, page
        assert "Open until Jan 15, 2030, 9:00:00\u202fAM (America/New_York)." in page
        path = str(resp.url.path)
    ap_id = open_instance.settings.base_url + path
    poll = await poll_store.poll_by_ap_id(open_instance.pool, ap_id)
    assert poll is not None and poll.timezone == "America/New_York"
    assert poll.ends_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)  # 9:00 in New York is 14:00 UTC
    stored = await object_store.object_by_ap_id(open_instance.pool, ap_id)
    assert stored is not None and stored.document is not None
    assert stored.document["endTime"] == "2030-01-15T14:00:00Z"  # AS2 carries UTC; the zone stays here
    async with PageClient(open_instance, language="nl") as visitor:
        _, page = await visitor.get(path)
        assert "Open tot 15 jan 2030, 09:00:00 (America/New_York)." in page


async def test_a_poll_without_a_zone_shows_the_instance_default_named(open_instance: Instance) -> None:
    async with PageClient(open_instance) as bram:
        await bram.register("bram")
        author = await actor_store.local_actor(open_instance.pool, "bram")
        assert author is not None
        ends = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
        row = await create_poll(federating(open_instance), author, "<p>Oud?</p>", ["ja", "nee"], ends_at=ends)
        _, page = await bram.get(row.ap_id.removeprefix(open_instance.settings.base_url))
        assert "Open until Jul 1, 2030, 12:00:00\u202fPM (Europe/Amsterdam)." in page


async def test_zone_and_end_time_errors_stay_next_to_their_fields(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        status, page, _ = await anna.submit(
            "/compose/poll", poll_form(ends="2030-05-01T10:00", timezone="Mars/Olympus")
        )
        assert status == 400 and 'id="f-timezone-error"' in page and "Choose a time zone from the list." in page
        assert "Mars/Olympus" not in page and 'value="2030-05-01T10:00"' in page
        assert "<option selected>" not in page
        status, page, _ = await anna.submit("/compose/poll", poll_form(ends="2001-01-01T10:00", timezone="Asia/Tokyo"))
        assert status == 400 and 'id="f-ends-error"' in page and "The end must be in the future." in page
        assert page.count("<option selected>") == 1 and "<option selected>Asia/Tokyo</option>" in page  # kept
        # 31 March 2030: clocks in Amsterdam go from 02:00 to 03:00, so 02:30 never happens
        status, page, _ = await anna.submit("/compose/poll", poll_form(ends="2030-03-31T02:30"))
        assert status == 400 and 'id="f-ends-error"' in page
        assert "This time does not exist in this time zone: the clocks go forward then." in page
        # the same wall-clock time is fine where the clocks do not change that night
        status, page, _ = await anna.submit("/compose/poll", poll_form(ends="2030-03-31T02:30", timezone="Asia/Tokyo"))
        assert status == 200 and "Open until Mar 31, 2030, 2:30:00\u202fAM (Asia/Tokyo)." in page
    async with PageClient(open_instance, language="nl") as bram:
        await bram.register("bram")
        status, page, _ = await bram.submit("/compose/poll", poll_form(ends="2030-03-31T02:30"))
        assert status == 400 and "Deze tijd bestaat niet in deze tijdzone: de klok gaat dan vooruit." in page
        status, page, _ = await bram.submit("/compose/poll", poll_form(timezone="Nergens/Stad"))
        assert status == 400 and "Kies een tijdzone uit de lijst." in page
