"""Table maintenance the server does itself: dead-row counts of the work queues, whether
PostgreSQL's autovacuum runs, and VACUUM of a queue table."""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.actors import Db

QUEUE_TABLES = ("inbox_items", "deliveries")


@dataclass(frozen=True)
class TableRows:
    table: str
    live: int
    dead: int
    autovacuum: bool  # autovacuum is on for the server and not switched off for the table


async def autovacuum_on(db: Db) -> bool:
    return str(await db.fetchval("SELECT current_setting('autovacuum')")) == "on"


async def queue_table_rows(db: Db) -> list[TableRows]:
    """Live and dead row estimates of the queue tables (PostgreSQL's statistics), and
    whether autovacuum looks after each (server setting and the table's own option)."""
    rows = await db.fetch(
        """SELECT s.relname, s.n_live_tup, s.n_dead_tup,
                  current_setting('autovacuum') = 'on' AND NOT EXISTS (
                      SELECT 1 FROM unnest(c.reloptions) AS o(option)
                      WHERE lower(o.option) IN ('autovacuum_enabled=false', 'autovacuum_enabled=off',
                                                'autovacuum_enabled=0', 'autovacuum_enabled=no')
                  ) AS autovacuum
           FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
           WHERE s.relname = ANY($1::text[]) AND s.schemaname = current_schema()""",
        list(QUEUE_TABLES),
    )
    return [TableRows(r["relname"], int(r["n_live_tup"]), int(r["n_dead_tup"]), r["autovacuum"]) for r in rows]


async def vacuum_queue_table(db: Db, table: str) -> None:
    """VACUUM (ANALYZE) one queue table; skipped at once when another VACUUM holds it.
    Must not run inside a transaction."""
    if table not in QUEUE_TABLES:
        raise ValueError(f"not a queue table: {table}")
    await db.execute(f"VACUUM (SKIP_LOCKED, ANALYZE) {table}")
