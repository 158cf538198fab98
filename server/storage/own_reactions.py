"""SQL for a local actor's own likes and boosts of one object: which it has made (so the
post page shows "Unlike" / "Undo boost") and the one to take back."""

from __future__ import annotations

from server.storage.actors import Db


async def reaction_id(db: Db, actor_id: int, kind: str, object_ap_id: str) -> str | None:
    """The id of the actor's Like or Announce of the object, or None."""
    value = await db.fetchval(
        "SELECT ap_id FROM reactions WHERE actor_id = $1 AND kind = $2 AND object_ap_id = $3",
        actor_id,
        kind,
        object_ap_id,
    )
    return str(value) if value is not None else None


async def reaction_kinds(db: Db, actor_id: int, object_ap_id: str) -> set[str]:
    rows = await db.fetch(
        "SELECT kind FROM reactions WHERE actor_id = $1 AND object_ap_id = $2", actor_id, object_ap_id
    )
    return {str(r["kind"]) for r in rows}
