"""SQL for media housekeeping: forgetting every medium of an actor (account deletion),
unattached uploads older than a cut-off, and which file names still have a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from server.storage.actors import Db


async def delete_media_of_owner(db: Db, owner_id: int) -> list[str]:
    """Forget every medium the actor uploaded (attached or not); returns their file names."""
    rows = await db.fetch("DELETE FROM media WHERE owner_id = $1 RETURNING file_name", owner_id)
    return [str(r["file_name"]) for r in rows]


async def delete_unattached_before(db: Db, cutoff: datetime, limit: int) -> list[str]:
    """Forget at most `limit` uploads never attached to a post and made before `cutoff`;
    returns their file names."""
    rows = await db.fetch(
        """DELETE FROM media WHERE id IN (
               SELECT id FROM media WHERE object_id IS NULL AND created_at < $1
               ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
           RETURNING file_name""",
        cutoff,
        limit,
    )
    return [str(r["file_name"]) for r in rows]


async def known_file_names(db: Db, names: Sequence[str]) -> set[str]:
    """Those of `names` that a media row still names."""
    rows = await db.fetch("SELECT file_name FROM media WHERE file_name = ANY($1::text[])", list(names))
    return {str(r["file_name"]) for r in rows}
