"""The iCal bridge in the background: every process that runs workers (`serve` with
`workers` > 0, and `buurtplein worker`) syncs the external calendars whose turn has come.

Every `calendar_sync_check_seconds` it claims the due sources (`next_sync_at` passed, each
synced at most every `calendar_sync_minutes`); the lease in calendar_sources keeps two
processes from syncing one source at the same time. "Sync now" on the page wakes it at
once: each process LISTENs on a connection of its own and runs a pass when notified; a lost
connection is logged and made again after a bounded, growing wait (the periodic pass goes
on meanwhile). A failing pass is logged and the next one comes at the next check or
wake-up; stopping waits for the pass in progress.
"""

from __future__ import annotations

import asyncio
import logging

from server.domain.federation_context import Federating
from server.domain.ical_bridge import bridge_client, sync_due_sources
from server.listening import first_of, listen_forever
from server.storage import calendar_sources as source_store

log = logging.getLogger(__name__)
MIN_CHECK_SECONDS = 1.0
SOURCES_PER_PASS = 50
LISTEN_RETRY_FIRST_SECONDS = 1.0
LISTEN_RETRY_MAX_SECONDS = 60.0
LISTEN_PING_SECONDS = 60.0  # how often the listening connection is checked
LISTEN_STOP_SECONDS = 5.0


def check_interval(seconds: float) -> float:
    return max(seconds, MIN_CHECK_SECONDS)


async def sync_due_calendars(fed: Federating) -> int:
    """One pass: sync the sources that are due; returns how many were synced."""
    async with bridge_client(fed.settings) as http:
        results = await sync_due_sources(fed, http, limit=SOURCES_PER_PASS)
    if results:
        log.info("calendar sync pass", extra={"sources": len(results)})
    return len(results)


async def run_calendar_sync(fed: Federating, stop: asyncio.Event, dsn: str | None = None) -> None:
    """Sync due calendars every `calendar_sync_check_seconds`, and at once when "sync now"
    is pressed anywhere (with `dsn`: the database to listen on), until `stop` is set."""
    interval = check_interval(fed.settings.calendar_sync_check_seconds)
    wake = asyncio.Event()
    listener = asyncio.create_task(listen_for_sync_now(dsn, wake, stop)) if dsn else None
    try:
        while not stop.is_set():
            wake.clear()
            try:
                await sync_due_calendars(fed)
            except Exception:
                log.exception("calendar sync pass failed")
            await first_of(stop, wake, timeout=interval)
    finally:
        if listener is not None:
            # it ends by itself once `stop` is set, unless a connection attempt hangs
            await asyncio.wait([listener], timeout=LISTEN_STOP_SECONDS)
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)


async def listen_for_sync_now(
    dsn: str,
    wake: asyncio.Event,
    stop: asyncio.Event,
    *,
    first_retry: float = LISTEN_RETRY_FIRST_SECONDS,
    ping_every: float = LISTEN_PING_SECONDS,
) -> None:
    """Set `wake` on every "sync now" until `stop` is set. A connection that cannot be made
    or is lost (closed, or no longer answering) is logged and made again after 1, 2, 4 …
    seconds, at most LISTEN_RETRY_MAX_SECONDS; after a reconnection one pass runs, for the
    requests that came while nobody listened. Never raises (server.listening)."""

    def reconnected(again: bool) -> None:
        if again:
            wake.set()

    await listen_forever(
        lambda: source_store.listen_for_sync_requests(dsn, wake.set),
        stop,
        on_connected=reconnected,
        log=log,
        name="calendar sync",
        purpose="sync requests",
        first_retry=first_retry,
        retry_max=LISTEN_RETRY_MAX_SECONDS,
        ping_every=ping_every,
    )
