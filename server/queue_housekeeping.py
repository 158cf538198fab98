"""`buurtplein prune-queues`, and the same pass in the background: every process that runs
workers (`serve` with `workers` > 0, and `buurtplein worker`) deletes finished rows of the
two work queues once an hour, so they stop growing with every activity ever received
or delivered.

A row is finished when it is done, ignored or failed; it is deleted once it has been
finished for `finished_jobs_retention_hours` (a week by default, so failures stay
visible to the operator for that long). Queued rows are never deleted. Received
activities stay deduplicated well past any replay: a signature older than
`signature_max_skew_seconds` is refused anyway, and the retention is required to be
longer (server/config.py). Our own outgoing activities are kept: they are served to
fetches. Each pass deletes in batches of `BATCH` rows, so no statement holds its locks
for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.config import Settings
from server.storage import deliveries as delivery_store
from server.storage import inbox as inbox_store

if TYPE_CHECKING:
    from server.storage.pool import Pool

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600.0
BATCH = 5000


@dataclass(frozen=True)
class Pruned:
    inbox_items: int
    deliveries: int


async def prune_queues(pool: Pool, settings: Settings, *, now: datetime | None = None) -> Pruned:
    """Delete queue rows finished more than the retention ago; how many of each kind."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=settings.finished_jobs_retention_hours)
    inbox = await _in_batches(lambda: inbox_store.delete_finished(pool, cutoff, BATCH))
    deliveries = await _in_batches(lambda: delivery_store.delete_finished(pool, cutoff, BATCH))
    return Pruned(inbox, deliveries)


async def _in_batches(delete: Callable[[], Awaitable[int]]) -> int:
    total = 0
    while True:
        deleted = await delete()
        total += deleted
        if deleted < BATCH:
            return total


async def run_queue_pruning(
    pool: Pool, settings: Settings, stop: asyncio.Event, *, interval: float = INTERVAL_SECONDS
) -> None:
    """Prune every `interval` seconds (the first pass after one interval) until `stop`."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            pruned = await prune_queues(pool, settings)
            if pruned.inbox_items or pruned.deliveries:
                log.info(
                    "finished queue rows pruned",
                    extra={"inbox_items": pruned.inbox_items, "deliveries": pruned.deliveries},
                )
        except Exception:
            log.exception("queue pruning pass failed")


async def _background(app: web.Application) -> AsyncIterator[None]:
    if app[SETTINGS].workers <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_queue_pruning(app[POOL], app[SETTINGS], stop))
    yield
    stop.set()
    await task


def setup(app: web.Application) -> None:
    """Run the hourly queue pruning in this web process when it runs workers."""
    app.cleanup_ctx.append(_background)


async def prune_once(settings: Settings) -> Pruned:
    from server.serve import migrated_pool

    async with migrated_pool(settings) as pool:
        return await prune_queues(pool, settings)


@click.command("prune-queues")
@click.pass_context
def prune_queues_command(ctx: click.Context) -> None:
    """Delete finished inbox and delivery rows older than finished_jobs_retention_hours."""
    from server.cli import _run, _settings

    result = _run(lambda: prune_once(_settings(ctx)))
    click.echo(f"deleted {result.inbox_items} finished inbox row(s) and {result.deliveries} finished delivery row(s)")
