"""The iCal bridge in the background: every process that runs workers (`serve` with
`workers` > 0, and `buurtplein worker`) syncs the external calendars whose turn has come.

Every `calendar_sync_check_seconds` it claims the due sources (`next_sync_at` passed, each
synced at most every `calendar_sync_minutes`); the lease in calendar_sources keeps two
processes from syncing one source at the same time. A failing pass is logged and the next
one comes at the next check; stopping waits for the pass in progress.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server.appkeys import KEYRING, POOL, REMOTE, SETTINGS
from server.domain.federation_context import Federating
from server.domain.ical_bridge import bridge_client, sync_due_sources

log = logging.getLogger(__name__)
MIN_CHECK_SECONDS = 1.0
SOURCES_PER_PASS = 50


def check_interval(seconds: float) -> float:
    return max(seconds, MIN_CHECK_SECONDS)


async def sync_due_calendars(fed: Federating) -> int:
    """One pass: sync the sources that are due; returns how many were synced."""
    async with bridge_client(fed.settings) as http:
        results = await sync_due_sources(fed, http, limit=SOURCES_PER_PASS)
    if results:
        log.info("calendar sync pass", extra={"sources": len(results)})
    return len(results)


async def run_calendar_sync(fed: Federating, stop: asyncio.Event) -> None:
    """Sync due calendars every `calendar_sync_check_seconds` until `stop` is set."""
    interval = check_interval(fed.settings.calendar_sync_check_seconds)
    while not stop.is_set():
        try:
            await sync_due_calendars(fed)
        except Exception:
            log.exception("calendar sync pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass


async def _calendar_sync(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.workers <= 0:
        yield
        return
    fed = Federating(app[POOL], settings, app[KEYRING], app[REMOTE])
    stop = asyncio.Event()
    task = asyncio.create_task(run_calendar_sync(fed, stop))
    yield
    stop.set()
    await task


def setup(app: web.Application) -> None:
    """Run the background sync in this web process when it runs workers."""
    app.cleanup_ctx.append(_calendar_sync)
