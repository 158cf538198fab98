"""Following a PostgreSQL NOTIFY channel from a long-running process: a listening
connection of its own, checked now and then (a lost network can leave it open), made again
after 1, 2, 4 … seconds (at most `retry_max`) when it cannot be made or is lost. Used by
the calendar sync ("sync now") and the outgoing domain policy; each says what to do on a
notice and on every (re)connection, and logs under its own name."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from server.storage.calendar_sources import still_listening
from server.storage.pool import Connection

PING_TIMEOUT = 10.0


async def listen_forever(
    connect: Callable[[], Awaitable[Connection]],
    stop: asyncio.Event,
    *,
    on_connected: Callable[[bool], None],
    log: logging.Logger,
    name: str,
    purpose: str,
    first_retry: float,
    retry_max: float,
    ping_every: float,
) -> None:
    """Keep a connection made by `connect` (which adds the listener) until `stop` is set;
    `on_connected(again)` runs after each connection is made (`again`: not the first).
    Never raises."""
    delay = first_retry
    connected_before = False
    while not stop.is_set():
        conn = None
        lost = asyncio.Event()
        try:
            conn = await connect()
            conn.add_termination_listener(lambda _conn, event=lost: event.set())
            if connected_before:
                log.info(f"{name} listening again")
            on_connected(connected_before)
            connected_before = True
            delay = first_retry
            while not stop.is_set() and not lost.is_set():
                await first_of(stop, lost, timeout=ping_every)
                if stop.is_set() or lost.is_set():
                    break
                if not await still_listening(conn, PING_TIMEOUT):
                    lost.set()
            if not stop.is_set():
                log.warning(f"{name} lost its listening connection; connecting again")
        except Exception as exc:
            log.warning(
                f"{name} cannot listen for {purpose}; trying again",
                extra={"error": f"{type(exc).__name__}: {exc}"[:300], "retry_seconds": delay},
            )
        finally:
            if conn is not None and not conn.is_closed():
                try:
                    await conn.close(timeout=5)
                except Exception:
                    conn.terminate()
        if stop.is_set():
            return
        await first_of(stop, timeout=delay)
        delay = min(delay * 2, retry_max)


async def first_of(*events: asyncio.Event, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until one of `events` is set, or `timeout` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
