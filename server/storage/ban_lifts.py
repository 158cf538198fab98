"""SQL for lifting a neighbourhood ban: the Block the group sent when it banned a remote
member (its id goes into the Undo, so the member's server can drop exactly that block)."""

from __future__ import annotations

from server.storage.actors import Db


async def last_block_sent(db: Db, group_id: int, member_ap_id: str) -> str | None:
    """The id of the newest Block{member} the group sent, or None."""
    value = await db.fetchval(
        """SELECT ap_id FROM outgoing_activities
           WHERE actor_id = $1 AND document->>'type' = 'Block' AND document->>'object' = $2
           ORDER BY id DESC LIMIT 1""",
        group_id,
        member_ap_id,
    )
    return str(value) if value is not None else None
