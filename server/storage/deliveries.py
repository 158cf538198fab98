"""SQL for outgoing activities and their deliveries (a transactional outbox), and hosts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from server.storage import instance_policy
from server.storage.actors import Db
from server.storage.pool import Pool, Record, affected


@dataclass(frozen=True)
class HostRow:
    host: str
    consecutive_failures: int
    paused_until: datetime | None
    failure_days: tuple[date, ...]
    unavailable_since: datetime | None
    last_success_at: datetime | None
    signature_scheme: str | None


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: int
    inbox_url: str
    host: str
    attempts: int
    actor_id: int
    document: dict[str, Any] | None  # None when the claim was told the caller has it
    host_state: HostRow


async def insert_activity(
    db: Db,
    ap_id: str,
    actor_id: int,
    document: dict[str, Any],
    inboxes: Sequence[tuple[str, str]],
    *,
    allowlist_only: bool = False,
) -> int:
    """Store an outgoing activity and one delivery per (inbox_url, host); call in the
    transaction that makes the local change, so both commit or neither does. No delivery
    is made to a host on a suspended domain or, with `allowlist_only`, on a domain not
    on the allowlist (instance_policy.refused_hosts, in the same statement)."""
    activity_id: int = await db.fetchval(
        """WITH stored AS (INSERT INTO outgoing_activities (ap_id, actor_id, document)
                           VALUES ($1, $2, $3) RETURNING id)
           SELECT id FROM stored, pg_notify('buurtplein_work', 'delivery')""",
        ap_id,
        actor_id,
        document,
    )
    if inboxes:
        inboxes = interleave_hosts(inboxes)
        pairs = [(host, domain) for host in {h for _, h in inboxes} for domain in instance_policy.refusal_domains(host)]
        await db.execute(
            f"""WITH pairs AS (SELECT * FROM unnest($4::text[], $5::text[]) AS p(host, domain)),
                     refused AS {instance_policy.refused_hosts("pairs", "$6")}
                INSERT INTO deliveries (activity_id, inbox_url, host)
                SELECT $1, inbox, host FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(inbox, host, n)
                WHERE t.host NOT IN (SELECT host FROM refused)
                ORDER BY n
                ON CONFLICT DO NOTHING""",
            activity_id,
            [i for i, _ in inboxes],
            [h for _, h in inboxes],
            [h for h, _ in pairs],
            [d for _, d in pairs],
            allowlist_only,
        )
    return activity_id


# Ready rows in (next_attempt_at, id) order from deliveries_claim_order_idx (queued rows
# only) without locking them; the chosen ones (at most $4 per host) are then locked,
# skipping any another worker holds, and leased. $5: activities whose documents the
# caller already has.
CLAIM_SQL = """WITH candidates AS (
        SELECT d.id, d.host, d.next_attempt_at FROM deliveries d
        WHERE d.state = 'queued' AND d.next_attempt_at <= now()
          AND (d.locked_until IS NULL OR d.locked_until < now())
          AND NOT (d.host = ANY($3::text[]))
          AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host AND h.paused_until > now())
        ORDER BY d.next_attempt_at, d.id LIMIT $1 * 4),
    chosen AS (
        SELECT id FROM (
            SELECT id, next_attempt_at,
                   row_number() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS nth
            FROM candidates) ranked
        WHERE $4::int IS NULL OR nth <= $4::int
        ORDER BY next_attempt_at, id LIMIT $1),
    locked AS (
        SELECT d.id FROM deliveries d
        WHERE d.id IN (SELECT id FROM chosen) AND d.state = 'queued'
          AND (d.locked_until IS NULL OR d.locked_until < now())
        FOR UPDATE SKIP LOCKED),
    claimed AS (
        UPDATE deliveries SET locked_until = now() + make_interval(secs => $2),
               attempts = attempts + 1
        WHERE id IN (SELECT id FROM locked)
        RETURNING id, activity_id, inbox_url, host, attempts)
    SELECT c.id, c.activity_id, c.inbox_url, c.host, c.attempts, a.actor_id,
           CASE WHEN c.activity_id = ANY($5::bigint[]) THEN NULL ELSE a.document END AS document,
           h.consecutive_failures, h.paused_until, h.failure_days, h.unavailable_since,
           h.last_success_at, h.signature_scheme
    FROM claimed c JOIN outgoing_activities a ON a.id = c.activity_id
    LEFT JOIN hosts h ON h.host = c.host"""


async def claim_deliveries(
    db: Db,
    limit: int,
    lease_seconds: int,
    *,
    skip_hosts: Sequence[str] = (),
    per_host: int | None = None,
    known_activities: Sequence[int] = (),
) -> list[Delivery]:
    """Claim up to `limit` ready deliveries (not for paused hosts, nor for `skip_hosts`),
    at most `per_host` of them for any one host: a fan-out to one big host does not fill
    the claim with rows that could only wait. The activity's document comes with each
    row, except for `known_activities` (the caller has their bodies): a fan-out of one
    activity to many inboxes then reads and decodes it once, not once per inbox."""
    rows = await db.fetch(
        CLAIM_SQL,
        limit,
        lease_seconds,
        list(skip_hosts),
        per_host,
        list(known_activities),
    )
    return [_delivery(r) for r in rows]


async def activity_document(db: Db, activity_id: int) -> dict[str, Any] | None:
    """The stored document of one outgoing activity."""
    document: dict[str, Any] | None = await db.fetchval(
        "SELECT document FROM outgoing_activities WHERE id = $1", activity_id
    )
    return document


def _delivery(row: Record) -> Delivery:
    host = HostRow(
        host=row["host"],
        consecutive_failures=row["consecutive_failures"] or 0,
        paused_until=row["paused_until"],
        failure_days=tuple(row["failure_days"] or ()),
        unavailable_since=row["unavailable_since"],
        last_success_at=row["last_success_at"],
        signature_scheme=row["signature_scheme"],
    )
    return Delivery(
        id=row["id"],
        activity_id=row["activity_id"],
        inbox_url=row["inbox_url"],
        host=row["host"],
        attempts=row["attempts"],
        actor_id=row["actor_id"],
        document=row["document"],
        host_state=host,
    )


def interleave_hosts(inboxes: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Order deliveries round-robin across hosts, so a claimed batch spreads over many hosts
    instead of queueing behind one host's concurrency cap."""
    by_host: dict[str, list[tuple[str, str]]] = {}
    for pair in inboxes:
        by_host.setdefault(pair[1], []).append(pair)
    queues = list(by_host.values())
    ordered: list[tuple[str, str]] = []
    for round_ in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[round_] for q in queues if round_ < len(q))
    return ordered


async def finish_delivery(db: Db, delivery_id: int, state: str, error: str | None = None) -> None:
    await db.execute(
        """UPDATE deliveries SET state = $2, last_error = $3, locked_until = NULL, finished_at = now()
           WHERE id = $1""",
        delivery_id,
        state,
        error,
    )


async def finish_deliveries_done(db: Db, delivery_ids: Sequence[int]) -> None:
    """Mark many successful deliveries done in one statement."""
    await db.execute(
        """UPDATE deliveries SET state = 'done', last_error = NULL, locked_until = NULL, finished_at = now()
           WHERE id = ANY($1::bigint[])""",
        list(delivery_ids),
    )


async def reschedule_delivery(db: Db, delivery_id: int, at: datetime, error: str | None) -> None:
    await db.execute(
        "UPDATE deliveries SET next_attempt_at = $2, last_error = $3, locked_until = NULL WHERE id = $1",
        delivery_id,
        at,
        error,
    )


async def delay_activity_deliveries(db: Db, activity_ap_id: str, seconds: float) -> int:
    """Hold back the queued deliveries of a stored outgoing activity for `seconds` (e.g. so
    one sent right after another reaches each inbox after it); how many."""
    status = await db.execute(
        """UPDATE deliveries SET next_attempt_at = now() + make_interval(secs => $2)
           WHERE activity_id = (SELECT id FROM outgoing_activities WHERE ap_id = $1) AND state = 'queued'""",
        activity_ap_id,
        seconds,
    )
    return affected(status)


async def release_deliveries(db: Db, delivery_ids: Sequence[int], at: datetime) -> None:
    """Give claimed rows back without counting an attempt (their host is busy or paused)."""
    await db.execute(
        """UPDATE deliveries SET next_attempt_at = $2, locked_until = NULL,
                  attempts = greatest(attempts - 1, 0) WHERE id = ANY($1::bigint[])""",
        list(delivery_ids),
        at,
    )


async def count_by_state(db: Db) -> dict[str, int]:
    rows = await db.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    return {r["state"]: int(r["n"]) for r in rows}


async def host_row(db: Db, host: str) -> HostRow:
    row = await db.fetchrow(
        """SELECT host, consecutive_failures, paused_until, failure_days, unavailable_since,
                  last_success_at, signature_scheme FROM hosts WHERE host = $1""",
        host,
    )
    if row is None:
        return HostRow(host, 0, None, (), None, None, None)
    values = dict(row)
    values["failure_days"] = tuple(values["failure_days"])
    return HostRow(**values)


async def save_host(db: Db, row: HostRow) -> None:
    await db.execute(
        """INSERT INTO hosts (host, consecutive_failures, paused_until, failure_days,
                              unavailable_since, last_success_at, signature_scheme)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (host) DO UPDATE SET consecutive_failures = EXCLUDED.consecutive_failures,
               paused_until = EXCLUDED.paused_until, failure_days = EXCLUDED.failure_days,
               unavailable_since = EXCLUDED.unavailable_since,
               last_success_at = EXCLUDED.last_success_at,
               signature_scheme = EXCLUDED.signature_scheme""",
        row.host,
        row.consecutive_failures,
        row.paused_until,
        list(row.failure_days),
        row.unavailable_since,
        row.last_success_at,
        row.signature_scheme,
    )


async def failures_per_host(db: Db) -> dict[str, int]:
    rows = await db.fetch("SELECT host, consecutive_failures FROM hosts WHERE consecutive_failures > 0")
    return {r["host"]: int(r["consecutive_failures"]) for r in rows}


async def update_host(pool: Pool, host: str, change: Callable[[HostRow], HostRow]) -> HostRow:
    """Apply `change` to the host's row under a row lock (concurrent deliveries to one host
    must not lose each other's failures)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO hosts (host) VALUES ($1) ON CONFLICT DO NOTHING", host)
        await conn.execute("SELECT 1 FROM hosts WHERE host = $1 FOR UPDATE", host)
        before = await host_row(conn, host)
        changed = change(before)
        await save_host(conn, changed)
        if changed.paused_until is not None and changed.paused_until != before.paused_until:
            await defer_host_deliveries(conn, host, changed.paused_until)
        return changed


async def defer_host_deliveries(db: Db, host: str, until: datetime) -> None:
    """Move the host's queued deliveries that are not in flight to `until` (the end of its
    pause): claims then stop reading them each time while the host is paused, so a dead
    server costs almost nothing however many deliveries wait for it."""
    await db.execute(
        """UPDATE deliveries SET next_attempt_at = $2
           WHERE host = $1 AND state = 'queued' AND next_attempt_at < $2
             AND (locked_until IS NULL OR locked_until < now())""",
        host,
        until,
    )


async def delete_finished(db: Db, finished_before: datetime, limit: int) -> int:
    """Delete up to `limit` done or failed deliveries finished before `finished_before`
    (queued ones are never touched; the activities themselves stay); the number deleted."""
    status = await db.execute(
        """DELETE FROM deliveries WHERE id IN (
               SELECT id FROM deliveries
               WHERE state <> 'queued' AND finished_at < $1 LIMIT $2)""",
        finished_before,
        limit,
    )
    return int(status.split()[-1])
