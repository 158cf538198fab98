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
    """Workers only: more of them, on this or another machine, against the same database.
    Beside the queue workers it runs the background tasks (server/background.py) and the
    heap trimming."""
    from server.background import Context, run_background_tasks
    from server.domain.federation_context import Federating
    from server.heap_trim import run_heap_trimming
    from server.metrics import Metrics
    from server.services import open_services
    from server.workers import Workers

    dsn = await resolve_dsn(settings)
    async with migrated_pool(settings, dsn) as pool, open_services(settings, pool, dsn) as services:
        workers = Workers(settings, pool, services.http, services.keyring, services.remote, Metrics())
        task = asyncio.create_task(workers.run())
        fed = Federating(pool, settings, services.keyring, services.remote)
        tasks_stop = asyncio.Event()
        context = Context(fed, services.http, dsn, asyncio.Event())
        background = asyncio.create_task(run_background_tasks(context, tasks_stop))
        trimming = asyncio.create_task(run_heap_trimming(tasks_stop, settings.heap_trim_interval_seconds))
        log.info("workers running", extra={"inbox_in_flight": 32 * max(1, settings.workers)})
        await _stop_event().wait()
        log.info("stopping workers between jobs")
        tasks_stop.set()
        await workers.stop()
        await task
        await background
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
