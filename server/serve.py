"""Running the server: web + workers in one process, or workers alone; graceful SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from server.app import make_app
from server.config import Settings
from server.runtime import StartupError, migrate, resolve_dsn
from server.storage.pool import Pool, create_pool

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT = 30.0


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_forever(settings: Settings) -> None:
    dsn = await resolve_dsn(settings)
    await migrate(dsn)
    app = make_app(settings, dsn)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.listen_host, settings.listen_port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise StartupError(
            f"cannot listen on {settings.listen_host}:{settings.listen_port}: {exc.strerror}; "
            "is another server using that port? (BUURTPLEIN_LISTEN_PORT)"
        ) from None
    log.info(
        "listening",
        extra={
            "address": f"http://{settings.listen_host}:{settings.listen_port}",
            "public_url": settings.base_url,
        },
    )
    stop = _stop_event()
    await stop.wait()
    log.info("shutting down: finishing requests in flight")
    await runner.cleanup()


async def work_forever(settings: Settings) -> None:
    """Workers only: more of them, on this or another machine, against the same database."""
    from server.calendar_sync_task import run_calendar_sync
    from server.domain.federation_context import Federating
    from server.heap_trim import run_heap_trimming
    from server.list_import_task import run_list_imports
    from server.media_housekeeping import run_media_cleaning
    from server.metrics import Metrics
    from server.poll_close_task import run_poll_closing
    from server.queue_housekeeping import run_queue_housekeeping
    from server.reset_mail_task import run_reset_mail_retries
    from server.services import open_services
    from server.workers import Workers

    dsn = await resolve_dsn(settings)
    async with migrated_pool(settings, dsn) as pool, open_services(settings, pool) as services:
        workers = Workers(settings, pool, services.http, services.keyring, services.remote, Metrics())
        task = asyncio.create_task(workers.run())
        fed = Federating(pool, settings, services.keyring, services.remote)
        calendars_stop = asyncio.Event()
        calendars = asyncio.create_task(run_calendar_sync(fed, calendars_stop, dsn))
        reset_mails = asyncio.create_task(run_reset_mail_retries(pool, settings, calendars_stop))
        list_imports = asyncio.create_task(run_list_imports(fed, services.http, calendars_stop))
        media_cleaning = asyncio.create_task(run_media_cleaning(pool, settings, calendars_stop))
        queue_pruning = asyncio.create_task(run_queue_housekeeping(pool, settings, calendars_stop))
        poll_closing = asyncio.create_task(run_poll_closing(fed, calendars_stop))
        trimming = asyncio.create_task(run_heap_trimming(calendars_stop, settings.heap_trim_interval_seconds))
        log.info("workers running", extra={"inbox_in_flight": 32 * max(1, settings.workers)})
        await _stop_event().wait()
        log.info("stopping workers between jobs")
        calendars_stop.set()
        await workers.stop()
        await task
        await calendars
        await reset_mails
        await list_imports
        await media_cleaning
        await queue_pruning
        await poll_closing
        await trimming


@asynccontextmanager
async def migrated_pool(settings: Settings, dsn: str | None = None) -> AsyncIterator[Pool]:
    dsn = dsn or await resolve_dsn(settings)
    await migrate(dsn)
    pool = await create_pool(dsn)
    try:
        yield pool
    finally:
        await pool.close()
