"""SQL for the inbox queue: received activities waiting for (or done with) processing."""

from __future__ import annotations

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


async def store_item_unless_refused(
    db: Db,
    activity_id: str,
    actor_ap_id: str,
    document: dict[str, Any],
    recipient_id: int | None,
    *,
    actor_host: str,
    allowlist_only: bool,
    notify: bool = True,
) -> bool | None:
    """store_item after the instance policy (instance_policy.is_refused) in the same
    statement: one round trip. None when the actor is refused (nothing stored)."""
    refused = instance_policy.refused_condition("$2", "$5", "$6")
    wake = ", (SELECT count(*) FROM woken) AS woken" if notify else ""
    woken = ", woken AS (SELECT pg_notify('buurtplein_work', 'inbox') FROM stored)" if notify else ""
    row = await db.fetchrow(
        f"""WITH verdict AS (SELECT {refused} AS refused),
                 stored AS (INSERT INTO inbox_items (activity_id, actor_ap_id, recipient_id, document)
                            SELECT $1, $2, $3, $4 FROM verdict WHERE NOT verdict.refused
                            ON CONFLICT (activity_id) DO NOTHING RETURNING id){woken}
            SELECT (SELECT refused FROM verdict) AS refused, (SELECT id FROM stored) AS id{wake}""",
        activity_id,
        actor_ap_id,
        recipient_id,
        document,
        instance_policy.refusal_domains(actor_host),
        allowlist_only,
    )
    if row["refused"]:
        return None
    return row["id"] is not None


async def claim_items(db: Db, limit: int, lease_seconds: int) -> list[InboxItem]:
    """Claim ready rows for this worker; an expired lease (a killed worker) frees them again."""
    rows = await db.fetch(
        """UPDATE inbox_items SET locked_until = now() + make_interval(secs => $2),
                  attempts = attempts + 1
           WHERE id IN (
               SELECT id FROM inbox_items
               WHERE state = 'queued' AND next_attempt_at <= now()
                 AND (locked_until IS NULL OR locked_until < now())
               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id, activity_id, actor_ap_id, recipient_id, document, attempts""",
        limit,
        lease_seconds,
    )
    return [InboxItem(**dict(r)) for r in rows]


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
