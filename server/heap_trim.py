"""Giving freed heap memory back to the operating system, once a minute by default.

A long-running process that talks to slow and dead peers allocates and frees buffers of
many sizes (request and response bodies, socket reads, database rows). The C allocator
(glibc's malloc) keeps memory it got back in its free lists instead of returning it, and
as those lists fragment the process's resident memory creeps up although the memory in
use stays flat (`bench/bench_faults.py` prints both). `malloc_trim(0)` returns the free
pages, inside the heap too, to the system. Every process runs it each
`heap_trim_interval_seconds` (0 switches it off), on a thread beside the event loop;
where the C library is not glibc there is no such call and nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import AsyncIterator, Callable
from functools import lru_cache

from aiohttp import web

from server.appkeys import SETTINGS

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        function = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


def can_trim() -> bool:
    return _malloc_trim() is not None


def trim_heap() -> bool:
    """Return free heap pages to the system; whether any were returned (False where the
    C library cannot)."""
    function = _malloc_trim()
    return bool(function(0)) if function is not None else False


async def run_heap_trimming(stop: asyncio.Event, interval: float) -> None:
    """Trim every `interval` seconds until `stop`; nothing when trimming is unavailable."""
    if interval <= 0 or not can_trim():
        return
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        # on a thread: a trim of a large, holey heap takes tens of milliseconds (glibc
        # locks one arena at a time, and the loop's small objects come from pymalloc)
        await asyncio.to_thread(trim_heap)


async def _background(app: web.Application) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_heap_trimming(stop, app[SETTINGS].heap_trim_interval_seconds))
    yield
    stop.set()
    await task


def setup(app: web.Application) -> None:
    """Trim the heap of this web process periodically."""
    app.cleanup_ctx.append(_background)
