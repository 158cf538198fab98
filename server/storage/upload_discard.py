"""SQL for taking back the uploads of one composer submission that did not become a post
(a later image was refused, or publishing failed): only the owner's media that are still
unattached are forgotten."""

from __future__ import annotations

from collections.abc import Sequence

from server.storage.actors import Db


async def delete_unattached(db: Db, owner_id: int, media_ids: Sequence[int]) -> list[str]:
    """Forget the owner's media among `media_ids` that no post uses; returns their file names."""
    if not media_ids:
        return []
    rows = await db.fetch(
        """DELETE FROM media WHERE owner_id = $1 AND id = ANY($2::bigint[]) AND object_id IS NULL
           RETURNING file_name""",
        owner_id,
        list(media_ids),
    )
    return [str(r["file_name"]) for r in rows]
