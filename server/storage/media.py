"""SQL for uploaded media (images)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db

_COLUMNS = "id, file_name, owner_id, object_id, media_type, width, height, size_bytes, alt_text, created_at"


@dataclass(frozen=True)
class MediaRow:
    id: int
    file_name: str
    owner_id: int
    object_id: int | None
    media_type: str
    width: int
    height: int
    size_bytes: int
    alt_text: str
    created_at: datetime


async def insert_media(
    db: Db,
    *,
    file_name: str,
    owner_id: int,
    media_type: str,
    width: int,
    height: int,
    size_bytes: int,
    alt_text: str,
) -> MediaRow:
    row = await db.fetchrow(
        f"""INSERT INTO media (file_name, owner_id, media_type, width, height, size_bytes, alt_text)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
        file_name,
        owner_id,
        media_type,
        width,
        height,
        size_bytes,
        alt_text,
    )
    return MediaRow(**dict(row))


async def media_by_file_name(db: Db, file_name: str) -> MediaRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM media WHERE file_name = $1", file_name)
    return MediaRow(**dict(row)) if row else None


async def is_servable(db: Db, file_name: str) -> bool:
    """Known, and not attached to a deleted post."""
    return bool(
        await db.fetchval(
            """SELECT true FROM media m LEFT JOIN objects o ON o.id = m.object_id
               WHERE m.file_name = $1 AND (m.object_id IS NULL OR o.deleted_at IS NULL)""",
            file_name,
        )
    )


async def unattached_media_of(db: Db, owner_id: int, media_ids: Sequence[int]) -> list[MediaRow]:
    """The owner's media among `media_ids` not yet attached to a post, in the order given."""
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM media WHERE owner_id = $1 AND id = ANY($2::bigint[]) AND object_id IS NULL""",
        owner_id,
        list(media_ids),
    )
    found = {r["id"]: MediaRow(**dict(r)) for r in rows}
    return [found[i] for i in dict.fromkeys(media_ids) if i in found]


async def attach_media(db: Db, object_id: int, media_ids: Sequence[int]) -> None:
    await db.execute(
        "UPDATE media SET object_id = $1 WHERE id = ANY($2::bigint[]) AND object_id IS NULL",
        object_id,
        list(media_ids),
    )
