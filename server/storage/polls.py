"""SQL for polls (the typed side of Question objects), their options and votes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import Record, affected


@dataclass(frozen=True)
class PollRow:
    object_id: int
    ap_id: str
    actor_id: int | None
    attributed_to: str
    visibility: str
    is_local: bool
    deleted_at: datetime | None
    multiple: bool
    ends_at: datetime | None
    closed_at: datetime | None
    reported_voters: int | None
    late_votes: int
    timezone: str | None = None  # the zone the author chose for the end time (ours only)

    def is_closed(self, now: datetime) -> bool:
        return self.closed_at is not None or (self.ends_at is not None and self.ends_at <= now)


@dataclass(frozen=True)
class OptionCount:
    position: int
    name: str
    votes: int


_SELECT = """SELECT o.id AS object_id, o.ap_id, o.actor_id, o.attributed_to, o.visibility, o.is_local,
    o.deleted_at, p.multiple, p.ends_at, p.closed_at, p.reported_voters, p.late_votes, p.timezone
    FROM polls p JOIN objects o ON o.id = p.object_id"""


def _poll(row: Record | None) -> PollRow | None:
    return PollRow(**dict(row)) if row else None


async def insert_poll(
    db: Db,
    object_id: int,
    *,
    multiple: bool,
    ends_at: datetime | None,
    closed_at: datetime | None,
    options: Sequence[tuple[str, int]],
    reported_voters: int | None = None,
    timezone: str | None = None,
) -> None:
    """A poll and its options ((name, votes reported by the origin) in order); `timezone`
    is the zone its author chose for the end time."""
    await db.execute(
        """INSERT INTO polls (object_id, multiple, ends_at, closed_at, reported_voters, timezone)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (object_id) DO NOTHING""",
        object_id,
        multiple,
        ends_at,
        closed_at,
        reported_voters,
        timezone,
    )
    await db.executemany(
        """INSERT INTO poll_options (poll_id, position, name, reported_votes) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        [(object_id, i, name, votes) for i, (name, votes) in enumerate(options)],
    )


async def update_reported(
    db: Db,
    poll_id: int,
    *,
    ends_at: datetime | None,
    closed_at: datetime | None,
    reported_voters: int | None,
    options: Sequence[tuple[str, int]],
) -> None:
    """A remote poll's new counts (from an Update of its Question); options match by name."""
    await db.execute(
        "UPDATE polls SET ends_at = $2, closed_at = $3, reported_voters = $4 WHERE object_id = $1",
        poll_id,
        ends_at,
        closed_at,
        reported_voters,
    )
    await db.executemany(
        "UPDATE poll_options SET reported_votes = $3 WHERE poll_id = $1 AND name = $2",
        [(poll_id, name, votes) for name, votes in options],
    )


async def poll_by_ap_id(db: Db, ap_id: str) -> PollRow | None:
    return _poll(await db.fetchrow(f"{_SELECT} WHERE o.ap_id = $1", ap_id))


async def lock_poll(db: Db, ap_id: str) -> PollRow | None:
    """The poll, its row locked until the transaction ends (votes of one poll queue up)."""
    return _poll(await db.fetchrow(f"{_SELECT} WHERE o.ap_id = $1 FOR UPDATE OF p", ap_id))


async def option_counts(db: Db, poll: PollRow) -> list[OptionCount]:
    """Votes per option: counted here for a local poll, as reported for a remote one."""
    rows = await db.fetch(
        """SELECT po.position, po.name, po.reported_votes,
                  (SELECT count(*) FROM poll_votes v WHERE v.poll_id = po.poll_id
                   AND v.position = po.position) AS counted
           FROM poll_options po WHERE po.poll_id = $1 ORDER BY po.position""",
        poll.object_id,
    )
    return [
        OptionCount(r["position"], r["name"], int(r["counted"] if poll.is_local else r["reported_votes"])) for r in rows
    ]


async def voters_count(db: Db, poll: PollRow) -> int:
    """Each voter once, however many options they chose (a remote poll: as reported)."""
    if not poll.is_local:
        return poll.reported_voters or 0
    return int(await db.fetchval("SELECT count(DISTINCT actor_id) FROM poll_votes WHERE poll_id = $1", poll.object_id))


async def positions_voted(db: Db, poll_id: int, actor_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT position FROM poll_votes WHERE poll_id = $1 AND actor_id = $2 ORDER BY position", poll_id, actor_id
    )
    return [r["position"] for r in rows]


async def insert_vote(db: Db, poll_id: int, position: int, actor_id: int, ap_id: str | None) -> bool:
    """False when this actor chose this option already (or the vote id is known)."""
    status = await db.execute(
        """INSERT INTO poll_votes (poll_id, position, actor_id, ap_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        poll_id,
        position,
        actor_id,
        ap_id,
    )
    return affected(status) == 1


async def count_late_vote(db: Db, poll_id: int) -> None:
    await db.execute("UPDATE polls SET late_votes = late_votes + 1 WHERE object_id = $1", poll_id)


async def close_poll(db: Db, poll_id: int, at: datetime) -> bool:
    """Close the poll; False when it was closed already (another process got there first)."""
    status = await db.execute("UPDATE polls SET closed_at = $2 WHERE object_id = $1 AND closed_at IS NULL", poll_id, at)
    return affected(status) == 1


async def due_local_polls(db: Db, now: datetime, limit: int) -> list[str]:
    """Ids of local polls whose end time has passed and that are not closed yet."""
    rows = await db.fetch(
        f"""{_SELECT} WHERE p.closed_at IS NULL AND p.ends_at <= $1 AND o.is_local AND o.deleted_at IS NULL
            ORDER BY p.ends_at LIMIT $2""",
        now,
        limit,
    )
    return [r["ap_id"] for r in rows]


async def voter_inboxes(db: Db, poll_id: int) -> list[str]:
    """Inboxes of remote voters (they get the Update with the results)."""
    rows = await db.fetch(
        """SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox
           FROM poll_votes v JOIN actors a ON a.id = v.actor_id
           WHERE v.poll_id = $1 AND NOT a.is_local AND a.gone_at IS NULL""",
        poll_id,
    )
    return [r["inbox"] for r in rows]


async def mark_results_due(db: Db, poll_id: int, now: datetime, interval_seconds: float) -> None:
    """New counts wait to be sent: at once when no results went out in the last
    `interval_seconds`, else when that interval has passed. A poll already due keeps its time."""
    await db.execute(
        """UPDATE polls SET results_due_at = coalesce(results_due_at,
               greatest($2, results_sent_at + make_interval(secs => $3)))
           WHERE object_id = $1""",
        poll_id,
        now,
        interval_seconds,
    )


async def mark_results_sent(db: Db, poll_id: int, at: datetime) -> None:
    await db.execute("UPDATE polls SET results_sent_at = $2, results_due_at = NULL WHERE object_id = $1", poll_id, at)


async def polls_with_due_results(db: Db, now: datetime, limit: int) -> list[str]:
    """Ids of local, undeleted polls whose new counts are due to be sent."""
    rows = await db.fetch(
        f"""{_SELECT} WHERE p.results_due_at <= $1 AND o.is_local AND o.deleted_at IS NULL
            ORDER BY p.results_due_at LIMIT $2""",
        now,
        limit,
    )
    return [r["ap_id"] for r in rows]


async def claim_due_results(db: Db, poll_id: int, now: datetime) -> bool:
    """Take the poll's due results for sending: True for one caller only while they are due
    (False when they are not due, or another process took them first)."""
    status = await db.execute(
        "UPDATE polls SET results_due_at = NULL WHERE object_id = $1 AND results_due_at <= $2", poll_id, now
    )
    return affected(status) == 1
