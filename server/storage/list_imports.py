"""SQL for the follow and block lists imported in the background (migration 0019): an
import per uploaded file, one row per address in it, leased a few at a time by the
processes that run workers (`locked_until`, FOR UPDATE SKIP LOCKED), and how each ended;
stopping an import ends its queued addresses as 'stopped'.

An account has at most one unfinished import of each kind (a unique index); it keeps its
`KEEP_FINISHED` newest finished imports, older ones are deleted when it starts a new one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import Pool, affected

KEEP_FINISHED = 5


@dataclass(frozen=True)
class ClaimedAddress:
    """A queued address leased to this process."""

    import_id: int
    position: int
    address: str
    attempts: int  # leases so far, this one included
    actor_id: int
    kind: str  # "follows" or "blocks"


@dataclass(frozen=True)
class ImportProgress:
    id: int
    kind: str
    created_at: datetime
    finished_at: datetime | None
    accounts: int  # addresses in the file
    total: int  # its rows: the addresses and the lines refused
    done: int
    already: int
    failed: int
    stopped: int  # still queued when the import was stopped

    @property
    def handled(self) -> int:
        return self.done + self.already + self.failed


async def start_import(
    pool: Pool, actor_id: int, kind: str, addresses: Sequence[str], refused: Sequence[tuple[str, str]] = ()
) -> int | None:
    """Queue `addresses` (then the `refused` lines, already failed with their reason) as a new
    import; its id, or None when this account has an unfinished import of this kind."""
    async with pool.acquire() as conn, conn.transaction():
        import_id = await conn.fetchval(
            """INSERT INTO list_imports (actor_id, kind, accounts) VALUES ($1, $2, $3)
               ON CONFLICT (actor_id, kind) WHERE finished_at IS NULL DO NOTHING RETURNING id""",
            actor_id,
            kind,
            len(addresses),
        )
        if import_id is None:
            return None
        await conn.execute(
            """INSERT INTO list_import_rows (import_id, position, address)
               SELECT $1, n, address FROM unnest($2::text[]) WITH ORDINALITY AS a (address, n)""",
            import_id,
            list(addresses),
        )
        if refused:
            await conn.execute(
                """INSERT INTO list_import_rows (import_id, position, address, state, reason, finished_at)
                   SELECT $1, $2 + n, line, 'failed', reason, now()
                   FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS r (line, reason, n)""",
                import_id,
                len(addresses),
                [line for line, _ in refused],
                [reason for _, reason in refused],
            )
        await conn.execute(
            """DELETE FROM list_imports WHERE actor_id = $1 AND finished_at IS NOT NULL
                 AND id NOT IN (SELECT id FROM list_imports WHERE actor_id = $1 AND finished_at IS NOT NULL
                                ORDER BY id DESC LIMIT $2)""",
            actor_id,
            KEEP_FINISHED,
        )
        return int(import_id)


async def claim_addresses(db: Db, lease_seconds: float, limit: int) -> list[ClaimedAddress]:
    """Up to `limit` queued addresses no other process holds, leased to this one for
    `lease_seconds`: the first address of every import before the second of any."""
    rows = await db.fetch(
        """WITH claimed AS (
               UPDATE list_import_rows SET locked_until = now() + make_interval(secs => $1),
                      attempts = attempts + 1
               WHERE (import_id, position) IN (
                   SELECT import_id, position FROM list_import_rows
                   WHERE state = 'queued' AND (locked_until IS NULL OR locked_until < now())
                   ORDER BY position, import_id LIMIT $2 FOR UPDATE SKIP LOCKED)
               RETURNING import_id, position, address, attempts)
           SELECT c.import_id, c.position, c.address, c.attempts, i.actor_id, i.kind
           FROM claimed c JOIN list_imports i ON i.id = c.import_id
           ORDER BY c.position, c.import_id""",
        float(lease_seconds),
        limit,
    )
    return [ClaimedAddress(**dict(r)) for r in rows]


async def record_address(db: Db, import_id: int, position: int, ending: str, reason: str = "") -> bool:
    """How one address ended ('done', 'already' or 'failed' with its reason); False when it
    was no longer queued. An address that was being worked (its lease still running) when
    the import was stopped gets how it really ended, since its follow or block was made."""
    status = await db.execute(
        """UPDATE list_import_rows SET state = $3, reason = nullif($4, ''), finished_at = now(),
               locked_until = NULL
           WHERE import_id = $1 AND position = $2
             AND (state = 'queued' OR (state = 'stopped' AND locked_until > now()))""",
        import_id,
        position,
        ending,
        reason,
    )
    return affected(status) == 1


async def finish_imports(db: Db, import_ids: Sequence[int] | None = None) -> int:
    """Mark finished the unfinished imports (all, or those of `import_ids`) that have no
    queued address left; how many."""
    status = await db.execute(
        """UPDATE list_imports i SET finished_at = now()
           WHERE i.finished_at IS NULL AND ($1::bigint[] IS NULL OR i.id = ANY($1::bigint[]))
             AND NOT EXISTS (SELECT 1 FROM list_import_rows r WHERE r.import_id = i.id AND r.state = 'queued')""",
        None if import_ids is None else list(import_ids),
    )
    return affected(status)


async def stop_import(pool: Pool, actor_id: int, import_id: int) -> int | None:
    """Stop the account's import `import_id`: its queued addresses end 'stopped' and the import
    is finished (what was handled stays as it ended; an address being worked right now keeps
    its lease and is recorded as it ends). How many addresses were stopped (0 when the import
    had finished already), or None when the account has no import with this id."""
    async with pool.acquire() as conn, conn.transaction():
        found = await conn.fetchrow(
            "SELECT finished_at FROM list_imports WHERE id = $1 AND actor_id = $2 FOR UPDATE", import_id, actor_id
        )
        if found is None:
            return None
        if found["finished_at"] is not None:
            return 0
        status = await conn.execute(
            """UPDATE list_import_rows SET state = 'stopped', reason = NULL, finished_at = now()
               WHERE import_id = $1 AND state = 'queued'""",
            import_id,
        )
        await conn.execute("UPDATE list_imports SET finished_at = now() WHERE id = $1", import_id)
        return affected(status)


async def imports_of(db: Db, actor_id: int, limit: int) -> list[ImportProgress]:
    """The account's `limit` newest imports with their counts, newest first."""
    rows = await db.fetch(
        """SELECT i.id, i.kind, i.created_at, i.finished_at, i.accounts, count(r.position)::int AS total,
                  (count(*) FILTER (WHERE r.state = 'done'))::int AS done,
                  (count(*) FILTER (WHERE r.state = 'already'))::int AS already,
                  (count(*) FILTER (WHERE r.state = 'failed'))::int AS failed,
                  (count(*) FILTER (WHERE r.state = 'stopped'))::int AS stopped
           FROM (SELECT * FROM list_imports WHERE actor_id = $1 ORDER BY id DESC LIMIT $2) i
           LEFT JOIN list_import_rows r ON r.import_id = i.id
           GROUP BY i.id, i.kind, i.created_at, i.finished_at, i.accounts
           ORDER BY i.id DESC""",
        actor_id,
        limit,
    )
    return [ImportProgress(**dict(r)) for r in rows]


async def failed_addresses(db: Db, import_ids: Sequence[int], limit_each: int) -> dict[int, list[tuple[str, str]]]:
    """The first `limit_each` failed (address, reason) of each import, in file order."""
    rows = await db.fetch(
        """SELECT import_id, address, reason FROM (
               SELECT import_id, position, address, coalesce(reason, '') AS reason,
                      row_number() OVER (PARTITION BY import_id ORDER BY position) AS n
               FROM list_import_rows WHERE import_id = ANY($1::bigint[]) AND state = 'failed') f
           WHERE n <= $2 ORDER BY import_id, position""",
        list(import_ids),
        limit_each,
    )
    found: dict[int, list[tuple[str, str]]] = {}
    for r in rows:
        found.setdefault(int(r["import_id"]), []).append((r["address"], r["reason"]))
    return found
