"""SQL for external calendars a neighbourhood imports (the iCal bridge) and the events
imported from them, keyed by (UID, RECURRENCE-ID).

A removed source keeps its row and items (`removed_at`, migration 0013): it is neither
listed nor synced, and adding its URL again brings it back with what it had imported, so
its events are never published twice. A new source and "sync now" are announced with a
NOTIFY on `SYNC_CHANNEL`, which the background sync of every process listens for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from server.storage.actors import Db
from server.storage.pool import Connection, affected, connect

SYNC_CHANNEL = "buurtplein_calendar_sync"  # NOTIFY payload: the source's id


@dataclass(frozen=True)
class CalendarSourceRow:
    id: int
    neighbourhood_id: int
    url: str
    source_name: str
    status: str
    last_error: str | None
    event_count: int
    etag: str | None
    last_modified: str | None
    next_sync_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None


@dataclass(frozen=True)
class ImportedItem:
    uid: str
    recurrence_id: str
    sequence: int
    content_hash: str
    object_ap_id: str
    cancelled: bool


_COLUMNS = """id, neighbourhood_id, url, source_name, status, last_error, event_count, etag,
    last_modified, next_sync_at, last_attempt_at, last_success_at"""


async def add_source(db: Db, neighbourhood_id: int, url: str, source_name: str) -> CalendarSourceRow:
    """Add a source (or bring a removed one back), due at once; the NOTIFY on SYNC_CHANNEL
    wakes the background sync to fetch it right away."""
    row = await db.fetchrow(
        f"""WITH added AS (
                INSERT INTO calendar_sources (neighbourhood_id, url, source_name) VALUES ($1, $2, $3)
                ON CONFLICT (neighbourhood_id, url) DO UPDATE SET source_name = EXCLUDED.source_name,
                    removed_at = NULL,
                    next_sync_at = CASE WHEN calendar_sources.removed_at IS NULL
                                        THEN calendar_sources.next_sync_at ELSE now() END
                RETURNING {_COLUMNS})
            SELECT added.* FROM added CROSS JOIN LATERAL pg_notify($4, added.id::text) AS woken""",
        neighbourhood_id,
        url,
        source_name,
        SYNC_CHANNEL,
    )
    assert row is not None
    return CalendarSourceRow(**dict(row))


async def source_by_id(db: Db, source_id: int) -> CalendarSourceRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM calendar_sources WHERE id = $1", source_id)
    return CalendarSourceRow(**dict(row)) if row else None


async def sources_of(db: Db, neighbourhood_id: int) -> list[CalendarSourceRow]:
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM calendar_sources WHERE neighbourhood_id = $1 AND removed_at IS NULL
            ORDER BY id""",
        neighbourhood_id,
    )
    return [CalendarSourceRow(**dict(r)) for r in rows]


async def listed_url(db: Db, neighbourhood_id: int, url: str) -> bool:
    """Whether this neighbourhood already imports `url` (removed sources do not count)."""
    found = await db.fetchval(
        """SELECT 1 FROM calendar_sources WHERE neighbourhood_id = $1 AND url = $2 AND removed_at IS NULL""",
        neighbourhood_id,
        url,
    )
    return found is not None


async def remove_source(db: Db, neighbourhood_id: int, source_id: int) -> bool:
    """Stop listing and syncing a source; its items stay (see the module docstring)."""
    status = await db.execute(
        """UPDATE calendar_sources SET removed_at = now()
           WHERE id = $1 AND neighbourhood_id = $2 AND removed_at IS NULL""",
        source_id,
        neighbourhood_id,
    )
    return affected(status) == 1


async def sync_soon(db: Db, neighbourhood_id: int, source_id: int) -> bool:
    """Make a source due now and wake the background sync of every process that runs it
    (a NOTIFY on SYNC_CHANNEL, delivered when the change commits)."""
    rows = await db.fetch(
        """WITH due AS (
               UPDATE calendar_sources SET next_sync_at = now()
               WHERE id = $1 AND neighbourhood_id = $2 AND removed_at IS NULL RETURNING id)
           SELECT pg_notify($3, due.id::text) FROM due""",
        source_id,
        neighbourhood_id,
        SYNC_CHANNEL,
    )
    return len(rows) == 1


async def listen_for_sync_requests(dsn: str, on_request: Callable[[], None]) -> Connection:
    """A connection of its own (not from the pool) that calls `on_request` whenever a source
    is made due by sync_soon, in any process; the caller closes it."""
    conn = await connect(dsn)
    try:
        await conn.add_listener(SYNC_CHANNEL, lambda *_: on_request())
    except BaseException:
        await conn.close(timeout=5)
        raise
    return conn


async def still_listening(conn: Connection, timeout: float) -> bool:  # noqa: ASYNC109
    """Whether the listening connection still answers (a lost network can leave it open)."""
    try:
        await conn.fetchval("SELECT 1", timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True


async def claim_due_sources(db: Db, lease_seconds: int, limit: int) -> list[CalendarSourceRow]:
    """Sources whose sync is due, leased to this process so no other one syncs them too."""
    rows = await db.fetch(
        f"""UPDATE calendar_sources SET locked_until = now() + make_interval(secs => $1)
            WHERE id IN (SELECT id FROM calendar_sources
                         WHERE next_sync_at <= now() AND removed_at IS NULL
                           AND (locked_until IS NULL OR locked_until < now())
                         ORDER BY next_sync_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING {_COLUMNS}""",
        lease_seconds,
        limit,
    )
    return [CalendarSourceRow(**dict(r)) for r in rows]


async def record_result(
    db: Db,
    source_id: int,
    *,
    status: str,
    error: str | None,
    next_sync_in_seconds: int,
    event_count: int | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> None:
    """The outcome of one sync; a failure leaves the count and validators as they were."""
    await db.execute(
        """UPDATE calendar_sources SET status = $2, last_error = $3, locked_until = NULL,
               last_attempt_at = now(), next_sync_at = now() + make_interval(secs => $4),
               last_success_at = CASE WHEN $2 = 'ok' THEN now() ELSE last_success_at END,
               event_count = coalesce($5, event_count),
               etag = CASE WHEN $2 = 'ok' THEN $6 ELSE etag END,
               last_modified = CASE WHEN $2 = 'ok' THEN $7 ELSE last_modified END
           WHERE id = $1""",
        source_id,
        status,
        error,
        next_sync_in_seconds,
        event_count,
        etag,
        last_modified,
    )


async def imported_items(db: Db, source_id: int) -> dict[tuple[str, str], ImportedItem]:
    rows = await db.fetch(
        """SELECT uid, recurrence_id, sequence, content_hash, object_ap_id, cancelled
           FROM calendar_source_items WHERE source_id = $1""",
        source_id,
    )
    return {(r["uid"], r["recurrence_id"]): ImportedItem(**dict(r)) for r in rows}


async def save_item(db: Db, source_id: int, item: ImportedItem) -> None:
    await db.execute(
        """INSERT INTO calendar_source_items (source_id, uid, recurrence_id, sequence, content_hash,
                                              object_ap_id, cancelled)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (source_id, uid, recurrence_id) DO UPDATE SET sequence = EXCLUDED.sequence,
               content_hash = EXCLUDED.content_hash, object_ap_id = EXCLUDED.object_ap_id,
               cancelled = EXCLUDED.cancelled, updated_at = now()""",
        source_id,
        item.uid,
        item.recurrence_id,
        item.sequence,
        item.content_hash,
        item.object_ap_id,
        item.cancelled,
    )
