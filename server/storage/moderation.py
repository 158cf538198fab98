"""SQL for blocks between actors and reports (Flag)."""

from __future__ import annotations

from server.storage.actors import Db
from server.storage.pool import affected


async def insert_block(db: Db, ap_id: str, blocker_id: int, blocked_id: int) -> None:
    await db.execute(
        """INSERT INTO actor_blocks (ap_id, blocker_id, blocked_id) VALUES ($1, $2, $3)
           ON CONFLICT (blocker_id, blocked_id) DO UPDATE SET ap_id = EXCLUDED.ap_id""",
        ap_id,
        blocker_id,
        blocked_id,
    )


async def delete_block(db: Db, ap_id: str, blocker_id: int) -> bool:
    status = await db.execute("DELETE FROM actor_blocks WHERE ap_id = $1 AND blocker_id = $2", ap_id, blocker_id)
    return affected(status) == 1


async def is_blocked_by(db: Db, blocker_id: int, blocked_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM actor_blocks WHERE blocker_id = $1 AND blocked_id = $2)",
            blocker_id,
            blocked_id,
        )
    )


async def insert_report(db: Db, ap_id: str, reporter_id: int, targets: list[str], content: str) -> bool:
    """False when the report is known already."""
    status = await db.execute(
        """INSERT INTO reports (ap_id, reporter_id, target_ids, content) VALUES ($1, $2, $3, $4)
           ON CONFLICT (ap_id) DO NOTHING""",
        ap_id,
        reporter_id,
        targets,
        content,
    )
    return affected(status) == 1


async def reports(db: Db) -> list[tuple[str, list[str], str]]:
    rows = await db.fetch("SELECT ap_id, target_ids, content FROM reports ORDER BY id")
    return [(r["ap_id"], list(r["target_ids"]), r["content"]) for r in rows]
