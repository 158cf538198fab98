"""`buurtplein prune-queues`, and the same pass in the background: every process that runs
workers (`serve` with `workers` > 0, and `buurtplein worker`) deletes finished rows of the
two work queues once an hour, so they stop growing with every activity ever received
or delivered, and forget the sender leases of the inbox queue (server/storage/inbox.py,
claim_items) that ended more than `SENDER_LEASE_KEPT` ago.

A row is finished when it is done, ignored or failed; it is deleted once it has been
finished for `finished_jobs_retention_hours` (a week by default, so failures stay
visible to the operator for that long). Queued rows are never deleted. Received
activities stay deduplicated well past any replay: a signature older than
`signature_max_skew_seconds` is refused anyway, and the retention is required to be
longer (server/config.py). Our own outgoing activities are kept: they are served to
fetches. Each pass deletes in batches of `BATCH` rows, so no statement holds its locks
for long.

Every row of a queue is updated two or three times (claimed, then finished), each update
leaving a dead row version behind. PostgreSQL's autovacuum removes them; where it is
switched off (it is a server setting the operator may not control), dead rows pile up
and every claim gets slower. So these processes also look at the queue tables every
`VACUUM_CHECK_SECONDS` and VACUUM one whose dead rows exceed `DEAD_ROWS_MIN` and a fifth
of its live rows, when autovacuum is off (for the server or that table). `VACUUM (SKIP_LOCKED)` never waits for
another process doing the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from server.config import Settings
from server.storage import deliveries as delivery_store
from server.storage import inbox as inbox_store
from server.storage import maintenance

if TYPE_CHECKING:
    from server.storage.pool import Pool

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600.0
BATCH = 5000
VACUUM_CHECK_SECONDS = 60.0
DEAD_ROWS_MIN = 5000
SENDER_LEASE_KEPT = timedelta(hours=1)  # a lease that ended this long ago is forgotten


@dataclass(frozen=True)
class Pruned:
    inbox_items: int
    deliveries: int
    sender_leases: int = 0


async def prune_queues(pool: Pool, settings: Settings, *, now: datetime | None = None) -> Pruned:
    """Delete queue rows finished more than the retention ago; how many of each kind."""
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=settings.finished_jobs_retention_hours)
    inbox = await _in_batches(lambda: inbox_store.delete_finished(pool, cutoff, BATCH))
    deliveries = await _in_batches(lambda: delivery_store.delete_finished(pool, cutoff, BATCH))
    leases = await inbox_store.delete_expired_sender_leases(pool, (now or datetime.now(UTC)) - SENDER_LEASE_KEPT)
    return Pruned(inbox, deliveries, leases)


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


def due_for_vacuum(rows: maintenance.TableRows, dead_rows_min: int = DEAD_ROWS_MIN) -> bool:
    """Whether we vacuum a queue table ourselves: autovacuum does not look after it and
    its dead rows are many, in number and against its live rows."""
    return not rows.autovacuum and rows.dead >= dead_rows_min and rows.dead * 5 >= rows.live


async def vacuum_queues_when_needed(pool: Pool, *, dead_rows_min: int = DEAD_ROWS_MIN) -> list[str]:
    """VACUUM each queue table that is due (see due_for_vacuum); their names."""
    vacuumed = []
    for rows in await maintenance.queue_table_rows(pool):
        if due_for_vacuum(rows, dead_rows_min):
            await maintenance.vacuum_queue_table(pool, rows.table)
            vacuumed.append(rows.table)
    return vacuumed


async def run_queue_vacuum(pool: Pool, stop: asyncio.Event, *, interval: float = VACUUM_CHECK_SECONDS) -> None:
    """Check the queue tables every `interval` seconds until `stop` (see the module text)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            vacuumed = await vacuum_queues_when_needed(pool)
            if vacuumed:
                log.info("queue tables vacuumed (autovacuum is off)", extra={"tables": ",".join(vacuumed)})
        except Exception:
            log.exception("queue vacuum check failed")


async def run_queue_housekeeping(pool: Pool, settings: Settings, stop: asyncio.Event) -> None:
    """Pruning and the vacuum check side by side, until `stop`."""
    await asyncio.gather(run_queue_pruning(pool, settings, stop), run_queue_vacuum(pool, stop))


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
