"""Follow and block lists uploaded on the moving page, imported in the background: every
process that runs workers (`serve` with `workers` > 0, and `buurtplein worker`) works the
queued addresses (server/storage/list_imports.py).

Each pass leases up to `ADDRESSES_AT_ONCE` addresses (the first of every import before the
second of any; the lease keeps other processes off them) and handles them side by side with
the same per-address code as `import-follows` / `import-blocks` (`follow_address`,
`block_address`): resolve with WebFinger on the address's host (ours directly), then follow
or block. Every address ends done, already or failed with its reason (or stopped, when the
resident stops the import: `stop_import`); none is tried again, except one whose process
stopped mid-way (its lease runs out after `LEASE_SECONDS`), at most `MAX_ATTEMPTS` times.
While there is work the passes follow each other; otherwise the task looks again every
`IDLE_SECONDS`, or at once when an upload in this process wakes it.
Stopping waits for the pass in progress.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from federation.http import HttpClient
from server.domain.federation_context import Federating
from server.portability.block_import import block_address
from server.portability.follow_import import AddressResult, follow_address
from server.storage import actors as actor_store
from server.storage import list_imports as import_store
from server.storage.list_imports import ClaimedAddress

log = logging.getLogger(__name__)
ADDRESSES_AT_ONCE = 4
LEASE_SECONDS = 300.0
MAX_ATTEMPTS = 3
IDLE_SECONDS = 5.0
GAVE_UP = "the address could not be handled"
WAKE = web.AppKey("list_import_wake", asyncio.Event)


async def work_addresses(fed: Federating, http: HttpClient, *, limit: int = ADDRESSES_AT_ONCE) -> int:
    """One pass: lease up to `limit` queued addresses, handle them and record how each ended;
    returns how many were leased."""
    claimed = await import_store.claim_addresses(fed.pool, LEASE_SECONDS, limit)
    if not claimed:
        return 0
    await asyncio.gather(*(work_address(fed, http, item) for item in claimed))
    await import_store.finish_imports(fed.pool, sorted({item.import_id for item in claimed}))
    return len(claimed)


async def work_address(fed: Federating, http: HttpClient, item: ClaimedAddress) -> None:
    result = await _outcome(fed, http, item)
    await import_store.record_address(fed.pool, item.import_id, item.position, result.ending, result.reason[:500])


async def _outcome(fed: Federating, http: HttpClient, item: ClaimedAddress) -> AddressResult:
    if item.attempts > MAX_ATTEMPTS:
        return AddressResult("failed", GAVE_UP)
    actor = await actor_store.actor_by_id(fed.pool, item.actor_id)
    if actor is None or not actor.is_local:
        return AddressResult("failed", GAVE_UP)
    handle = follow_address if item.kind == "follows" else block_address
    try:
        return await handle(fed, http, actor, item.address)
    except Exception:  # one broken address must not stop the others, nor come back forever
        log.exception("list import address failed", extra={"import": item.import_id, "address": item.address})
        return AddressResult("failed", GAVE_UP)


async def run_list_imports(
    fed: Federating,
    http: HttpClient,
    stop: asyncio.Event,
    wake: asyncio.Event | None = None,
    *,
    idle_seconds: float = IDLE_SECONDS,
) -> None:
    """Work queued addresses until `stop` is set (see the module docstring)."""
    wake = wake or asyncio.Event()
    while not stop.is_set():
        worked = 0
        try:
            worked = await work_addresses(fed, http)
            if not worked:
                await import_store.finish_imports(fed.pool)
        except Exception:
            log.exception("list import pass failed")
        if worked:
            continue
        await _idle(stop, wake, idle_seconds)


async def _idle(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
    wake.clear()


def wake(app: web.Application) -> None:
    """Have this process's task look for queued addresses now (when it runs one)."""
    event = app.get(WAKE)
    if event is not None:
        event.set()
