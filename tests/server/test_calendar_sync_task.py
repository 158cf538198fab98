"""The iCal bridge runs in the background of every process with workers (the web process
and a real `buurtplein worker` process): a due source is synced without
`buurtplein sync-calendars`, not again before `calendar_sync_minutes`, a
source leased by another process is left alone, and a web process without workers syncs
nothing. "Sync now" (a NOTIFY) wakes the sync at once, also after its listening connection
was lost; a listener that cannot reach the database logs and tries again, never raises."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from server.calendar_sync_task import check_interval, listen_for_sync_now
from server.config import Settings
from server.domain.actors import create_local_actor
from server.domain.ical_bridge import add_calendar_source
from server.storage import calendar_sources as source_store
from server.storage.pool import create_pool
from tests.harness import (
    PEER_ADDRESSES,
    Instance,
    create_database,
    drop_database,
    federating,
    free_port,
    running_instance,
    unique_name,
    wait_for,
)
from tests.server.domain.test_ical_bridge import calendar

CAL_HOST = PEER_ADDRESSES[1]
BIN = Path(sys.executable).parent / "buurtplein"


@asynccontextmanager
async def counting_calendar_server() -> AsyncIterator[tuple[list[str], str]]:
    """Serves a valid calendar at /cal.ics and /other.ics; records every request path."""
    hits: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=calendar(), content_type="text/calendar")

    app = web.Application()
    app.router.add_get("/cal.ics", serve)
    app.router.add_get("/other.ics", serve)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    port = free_port(CAL_HOST)
    await web.TCPSite(runner, CAL_HOST, port).start()
    try:
        yield hits, f"http://{CAL_HOST}:{port}"
    finally:
        await runner.cleanup()


async def _events_of(inst: Instance, group_id: int) -> int:
    value = await inst.pool.fetchval(
        "SELECT count(*) FROM events e JOIN objects o ON o.id = e.object_id WHERE o.actor_id = $1", group_id
    )
    return int(value)


def test_check_interval_has_a_floor() -> None:
    assert check_interval(0.0) == 1.0
    assert check_interval(-5) == 1.0
    assert check_interval(30.0) == 30.0


async def test_workers_sync_due_calendars_in_the_background(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with (
        running_instance(
            database_server, template_database, PEER_ADDRESSES[0], tmp_path, calendar_sync_check_seconds=1.0
        ) as inst,
        counting_calendar_server() as (hits, base),
    ):
        fed = federating(inst)
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="depijp")
        leased_group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="elders")
        # leased by another process from the start (added through the page it would be
        # synced at once: a new source wakes the sync)
        leased_id = await inst.pool.fetchval(
            """INSERT INTO calendar_sources (neighbourhood_id, url, source_name, locked_until)
               VALUES ($1, $2, 'Elders', now() + interval '1 hour') RETURNING id""",
            leased_group.id,
            base + "/other.ics",
        )
        source = await add_calendar_source(fed, group, base + "/cal.ics", "Buurthuis De Pijp")

        async def synced() -> bool:
            row = await source_store.source_by_id(inst.pool, source.id)
            return row is not None and row.status == "ok"

        assert await wait_for(synced, timeout=20)
        assert await _events_of(inst, group.id) >= 2
        await asyncio.sleep(2.5)  # at least two more checks: nothing is due again
        assert hits.count("/cal.ics") == 1
        assert "/other.ics" not in hits  # leased by another process
        row = await source_store.source_by_id(inst.pool, leased_id)
        assert row is not None and row.status == "pending" and await _events_of(inst, leased_group.id) == 0


async def test_web_process_without_workers_does_not_sync(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with (
        running_instance(
            database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0, calendar_sync_check_seconds=1.0
        ) as inst,
        counting_calendar_server() as (hits, base),
    ):
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="depijp")
        source = await add_calendar_source(federating(inst), group, base + "/cal.ics", "Buurthuis")
        await asyncio.sleep(2.5)
        assert hits == []
        row = await source_store.source_by_id(inst.pool, source.id)
        assert row is not None and row.status == "pending"


async def test_worker_process_syncs_calendars_and_stops_on_sigterm(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    name = unique_name("bp_calsync")
    dsn = await create_database(database_server, name, template_database)
    pool = await create_pool(dsn)
    try:
        async with counting_calendar_server() as (hits, base):
            settings = Settings(domain="127.0.0.2:9", scheme="http", data_dir=tmp_path)
            group = await create_local_actor(pool, settings, kind="Group", username="depijp")
            group_id = group.id
            source = await source_store.add_source(pool, group_id, base + "/cal.ics", "Buurthuis")
            env = {**os.environ, "DATABASE_URL": dsn, "BUURTPLEIN_DOMAIN": "127.0.0.2:9",
                   "BUURTPLEIN_SCHEME": "http", "BUURTPLEIN_DATA_DIR": str(tmp_path),
                   "BUURTPLEIN_LOG_LEVEL": "warning", "BUURTPLEIN_CALENDAR_SYNC_CHECK_SECONDS": "1",
                   "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31"}  # fmt: skip
            proc = await asyncio.create_subprocess_exec(
                str(BIN), "worker", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
            )
            try:

                async def synced() -> bool:
                    row = await source_store.source_by_id(pool, source.id)
                    return row is not None and row.status == "ok"

                assert await wait_for(synced, timeout=30)
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(proc.communicate(), 20)
            assert proc.returncode == 0, stderr.decode()
            assert hits == ["/cal.ics"]
            count = await pool.fetchval(
                "SELECT count(*) FROM events e JOIN objects o ON o.id = e.object_id WHERE o.actor_id = $1", group_id
            )
            assert count >= 2
    finally:
        await pool.close()
        await drop_database(database_server, name)


async def _listening_backends(inst: Instance) -> list[int]:
    rows = await inst.pool.fetch(
        """SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()""",
        source_store.SYNC_CHANNEL,
    )
    return [int(r["pid"]) for r in rows]


async def test_sync_now_wakes_the_sync_and_a_lost_listener_comes_back(
    database_server: str, template_database: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The periodic pass is ten minutes away; a new source and each "sync now" are synced
    within seconds, also after the listening connection was killed (logged, made again
    after a second)."""
    caplog.set_level(logging.INFO, logger="server.calendar_sync_task")
    async with (
        running_instance(
            database_server, template_database, PEER_ADDRESSES[0], tmp_path, calendar_sync_check_seconds=600
        ) as inst,
        counting_calendar_server() as (hits, base),
    ):
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="depijp")
        (listener,) = await wait_for(lambda: _listening_backends(inst))

        async def fetched(times: int) -> bool:
            return hits.count("/cal.ics") >= times

        source = await add_calendar_source(federating(inst), group, base + "/cal.ics", "Buurthuis")
        assert await wait_for(lambda: fetched(1), timeout=5)  # a new source: at once
        await asyncio.sleep(0.5)
        assert hits.count("/cal.ics") == 1  # then not due for a while
        assert await source_store.sync_soon(inst.pool, group.id, source.id)
        assert await wait_for(lambda: fetched(2), timeout=5)

        await inst.pool.execute("SELECT pg_terminate_backend($1)", listener)

        async def listening_again() -> bool:
            return any(pid != listener for pid in await _listening_backends(inst))

        assert await wait_for(listening_again, timeout=10)
        messages = [r.getMessage() for r in caplog.records]
        assert "calendar sync lost its listening connection; connecting again" in messages
        # the pass after reconnecting found nothing due; "sync now" works again
        assert await source_store.sync_soon(inst.pool, group.id, source.id)
        assert await wait_for(lambda: fetched(3), timeout=5)
        assert hits.count("/cal.ics") == 3


async def test_the_listener_survives_a_database_it_cannot_reach(caplog: pytest.LogCaptureFixture) -> None:
    """No database at the address: logged with a growing wait, never raised; stops on request."""
    caplog.set_level(logging.WARNING, logger="server.calendar_sync_task")
    wake, stop = asyncio.Event(), asyncio.Event()
    port = free_port("127.0.0.1")  # nothing listens there
    task = asyncio.create_task(
        listen_for_sync_now(f"postgresql://postgres@127.0.0.1:{port}/none", wake, stop, first_retry=0.05)
    )

    async def tried_three_times() -> bool:
        return len([r for r in caplog.records if r.getMessage().startswith("calendar sync cannot listen")]) >= 3

    assert await wait_for(tried_three_times, timeout=10)
    delays = [r.__dict__["retry_seconds"] for r in caplog.records if hasattr(r, "retry_seconds")]
    assert delays[:3] == [0.05, 0.1, 0.2]
    assert not task.done()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert not wake.is_set()
