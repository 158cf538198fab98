"""SQL for data portability: reading what an archive holds, recreating imported objects
with a pointer to their original ids, and the record of actor moves (migration 0007).
Feature tables (members, events, polls…) are read and written by storage/feature_rows.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.feature_rows import installed_tables
from server.storage.pool import affected


async def neighbourhood_settings(db: Db, actor_id: int) -> dict[str, Any] | None:
    """The neighbourhood's row as a JSON object (every column this host has)."""
    value = await db.fetchval(
        "SELECT to_jsonb(n) - 'actor_id' - 'created_at' FROM neighbourhoods n WHERE actor_id = $1", actor_id
    )
    return dict(value) if value is not None else None


async def own_objects(db: Db, actor_id: int) -> list[dict[str, Any]]:
    """The actor's own local objects (not deleted), oldest first, every visibility."""
    rows = await db.fetch(
        """SELECT ap_id, type, in_reply_to, visibility, content, document, published_at, updated_at
           FROM objects WHERE actor_id = $1 AND is_local AND deleted_at IS NULL ORDER BY id""",
        actor_id,
    )
    return [dict(r) for r in rows]


async def followers(db: Db, actor_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT a.ap_id, a.username, a.domain, a.is_local, f.state
           FROM follows f JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 ORDER BY f.id""",
        actor_id,
    )
    return [dict(r) for r in rows]


async def following(db: Db, actor_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT a.ap_id, a.username, a.domain, a.is_local, f.state
           FROM follows f JOIN actors a ON a.id = f.followed_id
           WHERE f.follower_id = $1 ORDER BY f.id""",
        actor_id,
    )
    return [dict(r) for r in rows]


async def blocked(db: Db, actor_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT a.ap_id, a.username, a.domain FROM actor_blocks b
           JOIN actors a ON a.id = b.blocked_id WHERE b.blocker_id = $1 ORDER BY b.id""",
        actor_id,
    )
    return [dict(r) for r in rows]


async def actor_ids_by_ap_id(db: Db, ap_ids: list[str]) -> dict[str, int]:
    if not ap_ids:
        return {}
    rows = await db.fetch("SELECT id, ap_id FROM actors WHERE ap_id = ANY($1::text[])", ap_ids)
    return {str(r["ap_id"]): int(r["id"]) for r in rows}


async def local_members(db: Db, group_id: int) -> list[int]:
    """Local actors that belong to a local group: accepted members (when memberships are
    installed) and local followers."""
    has_memberships = bool(await installed_tables(db, ("memberships",)))
    members_sql = (
        """UNION SELECT m.member_id FROM memberships m JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND m.state = 'accepted' AND a.is_local"""
        if has_memberships
        else ""
    )
    rows = await db.fetch(
        f"""SELECT f.follower_id AS id FROM follows f JOIN actors a ON a.id = f.follower_id
            WHERE f.followed_id = $1 AND a.is_local {members_sql}""",
        group_id,
    )
    return sorted(int(r["id"]) for r in rows)


async def notify(db: Db, recipient_id: int, kind: str, actor_id: int, object_ap_id: str) -> None:
    """A notification for a local actor, when notifications are installed here."""
    if not await installed_tables(db, ("notifications",)):
        return
    await db.execute(
        """INSERT INTO notifications (recipient_id, kind, actor_id, object_ap_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        recipient_id,
        kind,
        actor_id,
        object_ap_id,
    )


async def ap_ids_of(db: Db, parent: str, ids: list[int]) -> dict[int, str]:
    """id → ap_id for rows of actors or objects."""
    if parent not in ("actors", "objects") or not ids:
        return {}
    rows = await db.fetch(f"SELECT id, ap_id FROM {parent} WHERE id = ANY($1::bigint[])", ids)
    return {int(r["id"]): str(r["ap_id"]) for r in rows}


async def object_ids_of(db: Db, actor_id: int) -> list[int]:
    rows = await db.fetch("SELECT id FROM objects WHERE actor_id = $1 AND is_local", actor_id)
    return [int(r["id"]) for r in rows]


async def insert_imported_object(db: Db, fields: dict[str, Any], original_ap_id: str) -> int:
    """Insert a recreated object and its pointer to the original id; returns the new row id."""
    names = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    object_id = await db.fetchval(
        f"INSERT INTO objects ({', '.join(names)}) VALUES ({placeholders}) RETURNING id",
        *fields.values(),
    )
    await db.execute(
        "INSERT INTO imported_objects (original_ap_id, object_id) VALUES ($1, $2)",
        original_ap_id,
        object_id,
    )
    return int(object_id)


async def is_imported(db: Db, original_ap_id: str) -> bool:
    found = await db.fetchval("SELECT 1 FROM imported_objects WHERE original_ap_id = $1", original_ap_id)
    return found is not None


async def imported_as(db: Db, original_ap_id: str) -> str | None:
    """The id of the object recreated from `original_ap_id`, if it was imported here."""
    value = await db.fetchval(
        """SELECT o.ap_id FROM imported_objects i JOIN objects o ON o.id = i.object_id
           WHERE i.original_ap_id = $1""",
        original_ap_id,
    )
    return str(value) if value is not None else None


async def set_also_known_as(db: Db, actor_id: int, aliases: list[str]) -> None:
    await db.execute("UPDATE actors SET also_known_as = $2, updated_at = now() WHERE id = $1", actor_id, aliases)


async def set_created_at(db: Db, actor_id: int, created_at: datetime) -> None:
    await db.execute("UPDATE actors SET created_at = $2 WHERE id = $1", actor_id, created_at)


async def record_move(
    db: Db,
    kind: str,
    origin_ap_id: str,
    target_ap_id: str,
    *,
    activity_ap_id: str | None = None,
    notice_ap_id: str | None = None,
    follows_moved: int = 0,
) -> bool:
    """Record a move; False when this (kind, origin, target) was recorded before."""
    status = await db.execute(
        """INSERT INTO actor_moves (kind, origin_ap_id, target_ap_id, activity_ap_id, notice_ap_id,
                                    follows_moved)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, origin_ap_id, target_ap_id) DO NOTHING""",
        kind,
        origin_ap_id,
        target_ap_id,
        activity_ap_id,
        notice_ap_id,
        follows_moved,
    )
    return affected(status) == 1


async def set_move_notice(db: Db, origin_ap_id: str, target_ap_id: str, notice_ap_id: str) -> None:
    await db.execute(
        """UPDATE actor_moves SET notice_ap_id = $3
           WHERE kind = 'moved_out' AND origin_ap_id = $1 AND target_ap_id = $2""",
        origin_ap_id,
        target_ap_id,
        notice_ap_id,
    )


async def move_recorded(db: Db, kind: str, origin_ap_id: str, target_ap_id: str) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM actor_moves WHERE kind = $1 AND origin_ap_id = $2 AND target_ap_id = $3",
        kind,
        origin_ap_id,
        target_ap_id,
    )
    return found is not None


async def was_imported(db: Db, origin_ap_id: str) -> bool:
    found = await db.fetchval("SELECT 1 FROM actor_moves WHERE kind = 'imported' AND origin_ap_id = $1", origin_ap_id)
    return found is not None


async def move_notice(db: Db, origin_ap_id: str) -> str | None:
    """The id of the notice a moved local actor left behind (the pinned 'we moved' Note)."""
    value = await db.fetchval(
        """SELECT notice_ap_id FROM actor_moves WHERE kind = 'moved_out' AND origin_ap_id = $1
           ORDER BY id DESC LIMIT 1""",
        origin_ap_id,
    )
    return str(value) if value is not None else None


async def is_blocking(db: Db, blocker_id: int, blocked_id: int) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM actor_blocks WHERE blocker_id = $1 AND blocked_id = $2", blocker_id, blocked_id
    )
    return found is not None


async def received_move_since(db: Db, origin_ap_id: str, since: datetime) -> bool:
    """Whether a Move of `origin_ap_id` (to any target) was acted on at or after `since`."""
    found = await db.fetchval(
        "SELECT 1 FROM actor_moves WHERE kind = 'received' AND origin_ap_id = $1 AND created_at >= $2 LIMIT 1",
        origin_ap_id,
        since,
    )
    return found is not None
