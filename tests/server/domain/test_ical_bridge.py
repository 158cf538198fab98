"""The iCal bridge against scripted calendar servers on loopback: a valid calendar is
imported once (resyncs update, never duplicate; cancellations and older SEQUENCEs are
honoured); a huge, malformed, slow or private-redirecting one stops with a clear status,
changes nothing, and the 127.0.0.1 canary sees no connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.domain.actors import create_local_actor
from server.domain.ical_bridge import add_calendar_source, bridge_client, sync_source
from server.storage import calendar_sources as source_store
from server.storage import events as event_store
from server.storage.calendar_sources import ImportedItem
from tests.harness import PEER_ADDRESSES, Canary, federating, free_port, running_instance

CAL_HOST = PEER_ADDRESSES[1]
NOW = datetime.now(UTC).replace(microsecond=0)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(*, title: str = "Koffie-ochtend", sequence: int = 0, cancelled: bool = False) -> bytes:
    start = NOW + timedelta(days=2)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Buurthuis//test//NL",
        "BEGIN:VEVENT",
        "UID:koffie@buurthuis.test",
        f"DTSTAMP:{_stamp(NOW)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(hours=2))}",
        f"SUMMARY:{title}",
        "DESCRIPTION:Iedereen welkom",
        "LOCATION:Buurthuis De Pijp",
        "GEO:52.355;4.893",
        f"SEQUENCE:{sequence}",
        *(["STATUS:CANCELLED"] if cancelled else []),
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:yoga@buurthuis.test",
        f"DTSTAMP:{_stamp(NOW)}",
        "DTSTART;TZID=Europe/Amsterdam:" + (NOW + timedelta(days=1)).strftime("%Y%m%dT190000"),
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "SUMMARY:Yoga",
        "END:VEVENT",
        "BEGIN:VEVENT",
        f"DTSTAMP:{_stamp(NOW)}",
        f"DTSTART:{_stamp(start)}",
        "SUMMARY:no uid",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


class CalendarServer:
    """Answers /cal.ics with whatever the test set; also huge, malformed, slow, redirect."""

    def __init__(self, canary_port: int) -> None:
        self.body = calendar()
        self.canary_port = canary_port

    async def cal(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body, content_type="text/calendar")

    async def huge(self, request: web.StreamResponse) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/calendar"})
        await response.prepare(request)  # type: ignore[arg-type]
        for _ in range(64):  # 4 MiB, no Content-Length
            await response.write(b"X" * 65536)
        return response

    async def malformed(self, request: web.Request) -> web.Response:
        return web.Response(text="<html>this is not a calendar</html>", content_type="text/html")

    async def slow(self, request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=calendar(), content_type="text/calendar")

    async def redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://127.0.0.1:{self.canary_port}/cal.ics")


@asynccontextmanager
async def calendar_server(canary: Canary) -> AsyncIterator[tuple[CalendarServer, str]]:
    server = CalendarServer(canary.port)
    app = web.Application()
    app.router.add_get("/cal.ics", server.cal)
    app.router.add_get("/huge.ics", server.huge)  # type: ignore[arg-type]
    app.router.add_get("/malformed.ics", server.malformed)
    app.router.add_get("/slow.ics", server.slow)
    app.router.add_get("/redirect.ics", server.redirect)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    port = free_port(CAL_HOST)
    await web.TCPSite(runner, CAL_HOST, port).start()
    try:
        yield server, f"http://{CAL_HOST}:{port}"
    finally:
        await runner.cleanup()


async def _event_names(pool: object, group_id: int) -> list[tuple[str, str]]:
    rows = await pool.fetch(  # type: ignore[attr-defined]
        """SELECT e.name, e.status FROM events e JOIN objects o ON o.id = e.object_id
           WHERE o.actor_id = $1 ORDER BY e.starts_at""",
        group_id,
    )
    return [(r["name"], r["status"]) for r in rows]


async def test_bridge_imports_updates_and_stops_cleanly(
    database_server: str, template_database: str, tmp_path: Path, canary: Canary
) -> None:
    async with (
        running_instance(
            database_server,
            template_database,
            PEER_ADDRESSES[0],
            tmp_path,
            workers=0,  # the test syncs by hand; no background sync beside it (a new source wakes one)
            calendar_fetch_max_bytes=256 * 1024,
            calendar_fetch_timeout_seconds=1.0,
        ) as inst,
        calendar_server(canary) as (server, base),
    ):
        fed = federating(inst)
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="depijp")
        source = await add_calendar_source(fed, group, base + "/cal.ics", "Buurthuis De Pijp")
        async with bridge_client(inst.settings) as http:
            result = await sync_source(fed, http, source)
            assert (result.status, result.created) == ("ok", 4)  # 1 single + 3 weekly yoga
            names = await _event_names(inst.pool, group.id)
            assert sorted(n for n, _ in names) == ["Koffie-ochtend", "Yoga", "Yoga", "Yoga"]
            koffie = await event_store.event_by_ap_id(
                inst.pool,
                (await source_store.imported_items(inst.pool, source.id))[("koffie@buurthuis.test", "")].object_ap_id,
            )
            assert koffie is not None and koffie.fields.latitude == 52.355
            assert koffie.visibility == "public"

            # a resync of the same calendar changes nothing; a new SEQUENCE updates in place
            assert (await sync_source(fed, http, source)).created == 0
            server.body = calendar(title="Koffie-ochtend (verplaatst)", sequence=1)
            result = await sync_source(fed, http, source)
            assert (result.created, result.updated) == (0, 1)
            # an older SEQUENCE does not overwrite the newer one
            server.body = calendar(title="oude versie", sequence=0)
            assert (await sync_source(fed, http, source)).updated == 0
            # cancelled at the source: cancelled here
            server.body = calendar(title="Koffie-ochtend (verplaatst)", sequence=2, cancelled=True)
            assert (await sync_source(fed, http, source)).cancelled == 1
            before = await _event_names(inst.pool, group.id)
            assert ("Koffie-ochtend (verplaatst)", "cancelled") in before and len(before) == 4

            for path, status in (
                ("/huge.ics", "too_large"),
                ("/malformed.ics", "malformed"),
                ("/slow.ics", "timeout"),
                ("/redirect.ics", "refused"),
            ):
                bad = await add_calendar_source(fed, group, base + path, path)
                result = await sync_source(fed, http, bad)
                assert result.status == status, (path, result)
                stored = await source_store.source_by_id(inst.pool, bad.id)
                assert stored is not None and stored.status == status and stored.last_error
                assert stored.next_sync_at > datetime.now(UTC)
                assert await _event_names(inst.pool, group.id) == before  # nothing lost or duplicated
        assert canary.connections == 0
        ok = await source_store.source_by_id(inst.pool, source.id)
        assert ok is not None and ok.status == "ok" and ok.event_count == 4


class CrashBetweenSteps(RuntimeError):
    """Stands for a process dying after the event is stored, before its source item is."""


async def test_a_crash_between_event_and_item_never_duplicates(
    database_server: str, template_database: str, tmp_path: Path, canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst,
        calendar_server(canary) as (_, base),
    ):
        fed = federating(inst)
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="crashpijp")
        source = await add_calendar_source(fed, group, base + "/cal.ics", "Buurthuis")
        real_save = source_store.save_item
        calls = 0

        async def save_then_crash(db: Any, source_id: int, item: ImportedItem) -> None:
            nonlocal calls
            calls += 1
            if calls == 2:  # the second new event: stored, then the process "dies"
                raise CrashBetweenSteps
            await real_save(db, source_id, item)

        monkeypatch.setattr(source_store, "save_item", save_then_crash)
        async with bridge_client(inst.settings) as http:
            with pytest.raises(CrashBetweenSteps):
                await sync_source(fed, http, source)
            # the event whose item was not recorded was not published either
            assert len(await _event_names(inst.pool, group.id)) == 1
            assert len(await source_store.imported_items(inst.pool, source.id)) == 1
            monkeypatch.setattr(source_store, "save_item", real_save)
            result = await sync_source(fed, http, source)
            assert (result.status, result.created) == ("ok", 3)
            assert (await sync_source(fed, http, source)).created == 0  # run twice: nothing new
        names = await _event_names(inst.pool, group.id)
        assert sorted(n for n, _ in names) == ["Koffie-ochtend", "Yoga", "Yoga", "Yoga"]
        items = await source_store.imported_items(inst.pool, source.id)
        assert len(items) == 4
        creates = await inst.pool.fetchval(
            """SELECT count(*) FROM objects o JOIN events e ON e.object_id = o.id WHERE o.actor_id = $1""",
            group.id,
        )
        assert creates == 4
        # every recorded item points at an event that exists, and no event lacks its item
        ap_ids = {item.object_ap_id for item in items.values()}
        stored = await inst.pool.fetch(
            "SELECT o.ap_id FROM objects o JOIN events e ON e.object_id = o.id WHERE o.actor_id = $1", group.id
        )
        assert {r["ap_id"] for r in stored} == ap_ids
