"""SQL for the inbox queue: received activities waiting for (or done with) processing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage import instance_policy
from server.storage.actors import Db


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_id: str
    actor_ap_id: str
    recipient_id: int | None
    document: dict[str, Any]
    attempts: int


async def store_item(
    db: Db,
    activity_id: str,
    actor_ap_id: str,
    document: dict[str, Any],
    recipient_id: int | None,
    *,
    notify: bool = True,
) -> bool:
    """Insert a received activity; False when it was seen before (deduplicated on its id).

    `notify` wakes idle workers in every process (`NOTIFY`); callers send it sparingly,
    because a committing transaction that notifies cannot share its disk flush with others.
    """
    if notify:
        sql = """WITH stored AS (
                     INSERT INTO inbox_items (activity_id, actor_ap_id, recipient_id, document)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (activity_id) DO NOTHING RETURNING id)
                 SELECT id FROM stored, pg_notify('buurtplein_work', 'inbox')"""
    else:
        sql = """INSERT INTO inbox_items (activity_id, actor_ap_id, recipient_id, document)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (activity_id) DO NOTHING RETURNING id"""
    inserted = await db.fetchval(sql, activity_id, actor_ap_id, recipient_id, document)
    return inserted is not None


@dataclass(frozen=True)
class IncomingRow:
    """One received activity to store, with the host its actor is on (for the policy)."""

    activity_id: str
    actor_ap_id: str
    document: dict[str, Any]
    recipient_id: int | None
    actor_host: str


async def store_rows_unless_refused(
    db: Db, rows: list[IncomingRow], *, allowlist_only: bool, notify: bool
) -> list[bool | None]:
    """store_item_unless_refused for many rows in one statement, in their order (ids are
    assigned in arrival order, so one sender's activities keep their order). Per row: True
    stored, False seen before (also earlier in the same batch), None refused."""
    domain_rows = [
        (index, domain) for index, row in enumerate(rows) for domain in instance_policy.refusal_domains(row.actor_host)
    ]
    woken = ", woken AS (SELECT pg_notify('buurtplein_work', 'inbox') WHERE EXISTS (SELECT 1 FROM stored))"
    records = await db.fetch(
        f"""WITH input AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[])
                    WITH ORDINALITY AS i(activity_id, actor_ap_id, recipient_id, document, ord)),
            domains AS (SELECT * FROM unnest($5::int[], $6::text[]) AS d(ord, domain)),
            verdict AS (
                SELECT i.*, {instance_policy.refused_condition_per_row("i", "domains", "$7")} AS refused,
                       i.ord = (SELECT min(j.ord) FROM input j WHERE j.activity_id = i.activity_id) AS first
                FROM input i),
            stored AS (
                INSERT INTO inbox_items (activity_id, actor_ap_id, recipient_id, document)
                SELECT activity_id, actor_ap_id, recipient_id, document FROM verdict
                WHERE first AND NOT refused ORDER BY ord
                ON CONFLICT (activity_id) DO NOTHING RETURNING activity_id){woken if notify else ""}
            SELECT v.refused, v.first AND s.activity_id IS NOT NULL AS inserted
                   {", (SELECT count(*) FROM woken) AS woken" if notify else ""}
            FROM verdict v LEFT JOIN stored s ON s.activity_id = v.activity_id ORDER BY v.ord""",
        [row.activity_id for row in rows],
        [row.actor_ap_id for row in rows],
        [row.recipient_id for row in rows],
        [row.document for row in rows],
        [index + 1 for index, _ in domain_rows],
        [domain for _, domain in domain_rows],
        allowlist_only,
    )
    return [None if record["refused"] else bool(record["inserted"]) for record in records]


# The oldest queued rows, read in id order from inbox_items_claim_idx (queued rows only),
# so a claim costs the same however many finished rows the table holds. They are read
# without locks; only the chosen ones (at most $4 per sender) are locked, skipping any
# another worker holds (locking all candidates cost a third of a delivery claim).
CLAIM_SQL = """WITH candidates AS (
        SELECT id, actor_ap_id FROM inbox_items i
        WHERE state = 'queued' AND next_attempt_at <= now()
          AND (locked_until IS NULL OR locked_until < now())
          AND NOT (actor_ap_id = ANY($3::text[]))
          AND NOT EXISTS (
              SELECT 1 FROM inbox_sender_leases l
              WHERE l.actor_ap_id = i.actor_ap_id AND l.locked_by <> $5 AND l.locked_until >= now())
        ORDER BY id LIMIT $1 * 4),
    chosen AS (
        SELECT id, actor_ap_id FROM (
            SELECT id, actor_ap_id, row_number() OVER (PARTITION BY actor_ap_id ORDER BY id) AS nth
            FROM candidates) ranked
        WHERE $4::int IS NULL OR nth <= $4::int
        ORDER BY id LIMIT $1),
    senders AS (
        INSERT INTO inbox_sender_leases AS l (actor_ap_id, locked_by, locked_until)
        SELECT DISTINCT actor_ap_id, $5, now() + make_interval(secs => $2) FROM chosen
        ORDER BY actor_ap_id
        ON CONFLICT (actor_ap_id) DO UPDATE
            SET locked_by = EXCLUDED.locked_by, locked_until = EXCLUDED.locked_until
            WHERE l.locked_by = EXCLUDED.locked_by OR l.locked_until < now()
        RETURNING actor_ap_id),
    locked AS (
        SELECT id FROM inbox_items
        WHERE id IN (SELECT id FROM chosen) AND actor_ap_id IN (SELECT actor_ap_id FROM senders)
          AND state = 'queued' AND (locked_until IS NULL OR locked_until < now())
        FOR UPDATE SKIP LOCKED)
    UPDATE inbox_items SET locked_until = now() + make_interval(secs => $2),
           attempts = attempts + 1
    WHERE id IN (SELECT id FROM locked)
    RETURNING id, activity_id, actor_ap_id, recipient_id, document, attempts"""


async def claim_items(
    db: Db,
    limit: int,
    lease_seconds: int,
    *,
    worker: str,
    skip_actors: Sequence[str] = (),
    per_actor: int | None = None,
) -> list[InboxItem]:
    """Claim ready rows for `worker` (a name unique to one process), oldest first; an
    expired lease (a killed worker) frees them again. Not for `skip_actors` (senders with
    enough in hand here), and at most `per_actor` rows of one sender, its oldest: a slow
    sender's backlog never fills the claim, and its order is kept.

    Only one worker holds a sender at a time: the claim takes (or renews) a lease on each
    sender it claims rows of and passes over senders another worker holds, so two
    processes never handle one sender's activities side by side, out of order. The lease
    is taken with INSERT … ON CONFLICT, which waits for a concurrent claim of the same
    sender to commit and then sees its lease: two claims cannot both take one sender."""
    rows = await db.fetch(
        CLAIM_SQL,
        limit,
        lease_seconds,
        list(skip_actors),
        per_actor,
        worker,
    )
    return sorted((InboxItem(**dict(r)) for r in rows), key=lambda item: item.id)


async def release_senders(db: Db, worker: str) -> None:
    """Give back the worker's sender leases (it stops with nothing in hand)."""
    await db.execute("DELETE FROM inbox_sender_leases WHERE locked_by = $1", worker)


async def delete_expired_sender_leases(db: Db, expired_before: datetime) -> int:
    """Forget sender leases that ended before `expired_before` (senders gone quiet)."""
    status = await db.execute("DELETE FROM inbox_sender_leases WHERE locked_until < $1", expired_before)
    return int(status.split()[-1])


async def finish_item(db: Db, item_id: int, state: str, error: str | None = None) -> None:
    await db.execute(
        """UPDATE inbox_items SET state = $2, last_error = $3, locked_until = NULL,
                  finished_at = now() WHERE id = $1""",
        item_id,
        state,
        error,
    )


async def retry_item(db: Db, item_id: int, at: datetime, error: str) -> None:
    await db.execute(
        """UPDATE inbox_items SET next_attempt_at = $2, last_error = $3, locked_until = NULL
           WHERE id = $1""",
        item_id,
        at,
        error,
    )


async def count_by_state(db: Db) -> dict[str, int]:
    rows = await db.fetch("SELECT state, count(*) AS n FROM inbox_items GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


async def delete_finished(db: Db, finished_before: datetime, limit: int) -> int:
    """Delete up to `limit` processed, ignored or failed activities finished before
    `finished_before` (queued ones are never touched); the number deleted."""
    status = await db.execute(
        """DELETE FROM inbox_items WHERE id IN (
               SELECT id FROM inbox_items
               WHERE state <> 'queued' AND finished_at < $1 LIMIT $2)""",
        finished_before,
        limit,
    )
    return int(status.split()[-1])
