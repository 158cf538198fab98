"""The external-calendars page of a neighbourhood: its moderators add an .ics address (checked
on the server, errors next to the field, in Dutch too), see each source's sync status as the
background sync records it — a working loopback calendar, a malformed one and one on a
private address — ask for a sync and remove a source; instance administrators may do the
same for any neighbourhood; other residents get 403."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.actors import create_account
from server.domain.ical_bridge import InvalidCalendarUrl, calendar_url
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import calendar_sources as source_store
from tests.harness import Canary, Instance, federating, wait_for
from tests.server.domain.test_ical_bridge import calendar_server
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import _joined, actor, create_hood, signed_in

PAGE = "/neighbourhoods/oost/calendars"


def test_calendar_addresses_are_checked() -> None:
    assert calendar_url(" webcal://agenda.example/buurt.ics ") == "https://agenda.example/buurt.ics"
    assert calendar_url("http://agenda.example:8080/a.ics") == "http://agenda.example:8080/a.ics"
    for bad in (
        "ftp://agenda.example/a.ics",
        "agenda.example/a.ics",
        "https://",
        "https://a b/c.ics",
        "http://x:99999/",
    ):
        with pytest.raises(InvalidCalendarUrl):
            calendar_url(bad)
    with pytest.raises(InvalidCalendarUrl):
        calendar_url("https://agenda.example/" + "a" * 2000)


async def _events(inst: Instance, group_id: int) -> int:
    count = await inst.pool.fetchval("SELECT count(*) FROM objects WHERE actor_id = $1 AND type = 'Event'", group_id)
    return int(count)


async def _source_status(inst: Instance, group_id: int, url: str) -> str | None:
    for source in await source_store.sources_of(inst.pool, group_id):
        if source.url == url and source.last_attempt_at is not None:
            return source.status
    return None


async def test_organisers_import_calendars_and_see_how_each_sync_went(
    make_instance: Callable[..., AbstractAsyncContextManager[Instance]], canary: Canary
) -> None:
    async with make_instance(calendar_sync_check_seconds=1) as inst, calendar_server(canary) as (_, base):
        async with signed_in(inst, "beheer", admin=True) as admin:
            assert (await create_hood(admin, "oost", name="Oost"))[0] == 200
            status, page = await admin.get("/neighbourhoods/oost/manage")
            assert status == 200 and "/neighbourhoods/oost/calendars" in page
            status, page = await admin.get("/neighbourhoods/oost/calendars")
            assert status == 200 and "This neighbourhood imports no calendars yet." in page
            group = await actor(inst, "oost")

            # server-side checks, shown next to the field with what was typed
            status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": "", "name": "x"})
            assert status == 400 and "Enter the address of the calendar." in page and 'aria-invalid="true"' in page
            status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": "ftp://x/a.ics", "name": ""})
            assert status == 400 and "Give an http(s) or webcal address" in page and "ftp://x/a.ics" in page
            admin.language = "nl"
            status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": "javascript:alert(1)"})
            assert status == 400 and "Geef een http(s)- of webcal-adres" in page
            admin.language = "en"
            assert await source_store.sources_of(inst.pool, group.id) == []

            good, broken, private = base + "/cal.ics", base + "/malformed.ics", f"http://127.0.0.1:{canary.port}/a.ics"
            for url, name in ((good, "Buurthuis"), (broken, "Kapot"), (private, "Binnen")):
                status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": url, "name": name})
                assert status == 200 and "The calendar is added." in page and url in page
            status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": good, "name": "again"})
            assert status == 400 and "This neighbourhood imports this calendar already." in page

            # the background sync (every second here) records each outcome; the page shows it
            for url, expected in ((good, "ok"), (broken, "malformed"), (private, "refused")):

                async def synced(url: str = url) -> str | None:
                    return await _source_status(inst, group.id, url)

                assert await wait_for(synced, timeout=30) == expected
            status, page = await admin.get("/neighbourhoods/oost/calendars")
            assert "The last sync worked." in page
            assert "This address does not give a readable iCalendar (.ics) file." in page
            assert "Refused: the address points (or redirects) to a private or reserved network address." in page
            assert "Events in this calendar</dt>\n        <dd>4</dd>" in page
            admin.language = "nl"
            page = (await admin.get("/neighbourhoods/oost/calendars"))[1]
            assert "Dit adres levert geen leesbaar iCalendar-bestand (.ics) op." in page
            assert "Geweigerd:" in page and "Laatste geslaagde synchronisatie" in page
            admin.language = "en"
            assert canary.connections == 0

            # "sync now" makes the source due at once; the next pass syncs it again
            by_url = {s.url: s for s in await source_store.sources_of(inst.pool, group.id)}
            first = by_url[broken]
            assert first.next_sync_at > datetime.now(UTC) + timedelta(minutes=30)
            status, page, _ = await admin.submit(f"{PAGE}/{first.id}/sync", {}, from_page=PAGE)
            assert status == 200 and "The calendar will be synced within a few minutes." in page

            async def synced_again() -> bool:
                again = await source_store.source_by_id(inst.pool, first.id)
                return (
                    again is not None
                    and again.last_attempt_at is not None
                    and (first.last_attempt_at is not None and again.last_attempt_at > first.last_attempt_at)
                )

            assert await wait_for(synced_again, timeout=30)

            # removing a source: gone from the page, its events stay, adding it again duplicates nothing
            source = by_url[good]
            status, page, _ = await admin.submit(f"{PAGE}/{source.id}/remove", {}, from_page=PAGE)
            assert status == 200 and "The calendar is removed." in page and good not in page
            assert await _events(inst, group.id) == 4
            status, page, _ = await admin.submit("/neighbourhoods/oost/calendars", {"url": good, "name": "Terug"})
            assert status == 200 and good in page

            async def resynced() -> bool:
                back = await source_store.source_by_id(inst.pool, source.id)
                return (
                    back is not None
                    and back.last_attempt_at is not None
                    and (source.last_attempt_at is not None and back.last_attempt_at > source.last_attempt_at)
                )

            assert await wait_for(resynced, timeout=30)
            assert await _events(inst, group.id) == 4


async def test_other_residents_cannot_see_or_change_the_calendars(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        status, _, _ = await admin.submit(
            "/neighbourhoods/oost/calendars", {"url": "https://agenda.example/a.ics", "name": "Agenda"}
        )
        assert status == 200
        await admin.get("/neighbourhoods/oost/calendars")
        async with admin.session.post(
            instance.url("/neighbourhoods/oost/calendars"), data={"url": "https://agenda.example/b.ics"}
        ) as resp:
            assert resp.status == 403  # no CSRF token
    oost = await actor(instance, "oost")
    (source,) = await source_store.sources_of(instance.pool, oost.id)
    async with signed_in(instance, "mona") as mona:
        await _joined(instance, "mona", oost)  # a member, not a moderator
        status, page = await mona.get("/neighbourhoods/oost/calendars")
        assert status == 403 and "agenda.example" not in page
        await mona.get("/settings")
        token = mona.csrf()
        for path, data in (
            ("/neighbourhoods/oost/calendars", {"url": "https://evil.example/x.ics"}),
            (f"/neighbourhoods/oost/calendars/{source.id}/remove", {}),
            (f"/neighbourhoods/oost/calendars/{source.id}/sync", {}),
        ):
            async with mona.session.post(instance.url(path), data={"csrf": token, **data}) as resp:
                assert resp.status == 403, path
        assert (await mona.get("/neighbourhoods/nergens/calendars"))[0] == 404
    assert [s.url for s in await source_store.sources_of(instance.pool, oost.id)] == ["https://agenda.example/a.ics"]
    async with PageClient(instance) as visitor:
        async with visitor.session.get(instance.url("/neighbourhoods/oost/calendars"), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")


async def test_instance_admins_manage_the_calendars_of_any_neighbourhood(instance: Instance) -> None:
    founder = await create_account(
        instance.pool, instance.settings, username="stichter", password="lang genoeg wachtwoord"
    )
    await create_neighbourhood(federating(instance), "oost", founder=founder)
    async with signed_in(instance, "beheer", admin=True) as admin:  # an admin, no moderator of oost
        status, page = await admin.get(PAGE)
        assert status == 200 and "agenda.example" not in page
        status, _, _ = await admin.submit(PAGE, {"url": "https://agenda.example/a.ics", "name": "Agenda"})
        assert status == 200
        oost = await actor(instance, "oost")
        (source,) = await source_store.sources_of(instance.pool, oost.id)
        status, page, _ = await admin.submit(f"{PAGE}/{source.id}/sync", {}, from_page=PAGE)
        assert status == 200 and "agenda.example" in page
        status, _, _ = await admin.submit(f"{PAGE}/{source.id}/remove", {}, from_page=PAGE)
        assert status == 200
        assert await source_store.sources_of(instance.pool, oost.id) == []
        assert (await admin.get("/neighbourhoods/nergens/calendars"))[0] == 404
    async with signed_in(instance, "mona") as mona:  # neither admin nor moderator
        assert (await mona.get(PAGE))[0] == 403


async def test_sync_now_starts_the_sync_at_once(
    make_instance: Callable[..., AbstractAsyncContextManager[Instance]], canary: Canary
) -> None:
    """With a periodic pass only every ten minutes, a new source and "sync now" still get
    the source synced within seconds: the page's NOTIFY wakes the background sync; the page
    does not wait."""
    async with make_instance(calendar_sync_check_seconds=600) as inst, calendar_server(canary) as (_, base):
        async with signed_in(inst, "beheer", admin=True) as admin:
            assert (await create_hood(admin, "oost", name="Oost"))[0] == 200
            group = await actor(inst, "oost")
            good = base + "/cal.ics"
            started = time.monotonic()
            status, page, _ = await admin.submit(PAGE, {"url": good, "name": "Buurthuis"})
            assert status == 200 and "The calendar is added." in page

            async def synced() -> bool:
                return await _source_status(inst, group.id, good) == "ok"

            assert await wait_for(synced, timeout=5)
            assert time.monotonic() - started < 5
            assert await _events(inst, group.id) >= 2
            (source,) = await source_store.sources_of(inst.pool, group.id)
            first = source.last_attempt_at
            assert first is not None and source.next_sync_at > first  # not due again for a while

            started = time.monotonic()
            status, page, _ = await admin.submit(f"{PAGE}/{source.id}/sync", {}, from_page=PAGE)
            assert status == 200 and "The calendar will be synced" in page

            async def synced_again() -> bool:
                row = await source_store.source_by_id(inst.pool, source.id)
                return row is not None and row.last_attempt_at is not None and row.last_attempt_at > first

            assert await wait_for(synced_again, timeout=5)
            assert time.monotonic() - started < 5
            # a source that does not exist: 404
            status, _, _ = await admin.submit(f"{PAGE}/999999/sync", {}, from_page=PAGE)
            assert status == 404
