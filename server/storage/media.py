"""SQL for uploaded media (images)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.visibility import visible_to

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


async def media_of_object(db: Db, object_id: int) -> list[MediaRow]:
    """The media attached to an object, oldest first."""
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM media WHERE object_id = $1 ORDER BY id", object_id)
    return [MediaRow(**dict(r)) for r in rows]


async def describe_media_of_object(db: Db, object_id: int, alt_text: str) -> None:
    """Give the media attached to an object (an event's one picture) a new alt text."""
    await db.execute("UPDATE media SET alt_text = $2 WHERE object_id = $1", object_id, alt_text)


async def forget_unused_media(db: Db, object_id: int, file_names: Sequence[str], url: str) -> list[str]:
    """Forget the object's media among `file_names`, served at `url`, unless something else
    still shows that URL: another event that is not deleted, or an actor's icon or header
    image. Returns the file names forgotten (to remove from disk)."""
    rows = await db.fetch(
        """DELETE FROM media m WHERE m.object_id = $1 AND m.file_name = ANY($2::text[])
             AND NOT EXISTS (SELECT 1 FROM events e JOIN objects o ON o.id = e.object_id
                             WHERE e.image_url = $3 AND e.object_id <> $1 AND o.deleted_at IS NULL)
             AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.icon_url = $3 OR a.image_url = $3)
           RETURNING file_name""",
        object_id,
        list(file_names),
        url,
    )
    return [str(r["file_name"]) for r in rows]


# SQL: something other than the medium's own object still shows its URL (parameter `url`):
# another event that is not deleted, or an actor's icon or header image.
def _shown_elsewhere(medium: str, url: str) -> str:
    return f"""(EXISTS (SELECT 1 FROM events sh_e JOIN objects sh_o ON sh_o.id = sh_e.object_id
                        WHERE sh_e.image_url = {url} AND sh_e.object_id <> {medium}.object_id
                          AND sh_o.deleted_at IS NULL)
               OR EXISTS (SELECT 1 FROM actors sh_a WHERE sh_a.icon_url = {url} OR sh_a.image_url = {url}))"""


async def forget_media_shown_by_nothing(
    db: Db, media_prefix: str, limit: int, file_names: Sequence[str] | None = None
) -> list[str]:
    """Forget at most `limit` media that were kept only because something else showed
    their URL (`media_prefix` + file name) and that nothing shows any more: attached to a
    deleted object, or to an event whose picture is now another. With `file_names`, only
    those are considered. Returns the file names forgotten (to remove from disk)."""
    url = "($1 || m.file_name)"
    rows = await db.fetch(
        f"""DELETE FROM media WHERE id IN (
               SELECT m.id FROM media m JOIN objects o ON o.id = m.object_id
               LEFT JOIN events own ON own.object_id = o.id
               WHERE ($3::text[] IS NULL OR m.file_name = ANY($3::text[]))
                 AND (o.deleted_at IS NOT NULL OR (own.object_id IS NOT NULL AND own.image_url IS DISTINCT FROM {url}))
                 AND NOT {_shown_elsewhere("m", url)}
               ORDER BY m.id LIMIT $2 FOR UPDATE OF m SKIP LOCKED)
           RETURNING file_name""",
        media_prefix,
        limit,
        list(file_names) if file_names is not None else None,
    )
    return [str(r["file_name"]) for r in rows]


async def delete_media_of_object(db: Db, object_ap_id: str) -> list[str]:
    """Forget the media attached to an object; returns their file names (to remove from disk)."""
    rows = await db.fetch(
        """DELETE FROM media WHERE object_id = (SELECT id FROM objects WHERE ap_id = $1)
           RETURNING file_name""",
        object_ap_id,
    )
    return [str(r["file_name"]) for r in rows]


async def media_access(db: Db, file_name: str, viewer_id: int | None, url: str | None = None) -> str | None:
    """Who may fetch a medium: "public" (attached to a public or unlisted post),
    "unattached" (uploaded, not yet in a post), "viewer" (a non-public post the viewer may
    read), or None (unknown, deleted, or not for this viewer).

    A medium of a deleted post that something else still shows (its `url` is another
    live event's picture, or an actor's icon or header) is still served, never wider than
    before: "public" when its post was public or unlisted and a public or unlisted event
    or an actor shows it; "viewer" when the viewer may read an event that shows it (or an
    actor shows it) and — for a post that was not public — could read that post too."""
    row = await db.fetchrow(
        f"""SELECT o.id IS NULL AS unattached, o.visibility IN ('public', 'unlisted') AS open,
                   o.deleted_at IS NOT NULL AS deleted, coalesce({visible_to("o", "$2")}, false) AS readable,
                   o.deleted_at IS NOT NULL AND $3::text IS NOT NULL AND (
                       EXISTS (SELECT 1 FROM actors sh_a WHERE sh_a.icon_url = $3 OR sh_a.image_url = $3)
                       OR EXISTS (SELECT 1 FROM events sh_e JOIN objects sh_o ON sh_o.id = sh_e.object_id
                                  WHERE sh_e.image_url = $3 AND sh_e.object_id <> o.id AND sh_o.deleted_at IS NULL
                                    AND sh_o.visibility IN ('public', 'unlisted'))) AS shown_openly,
                   o.deleted_at IS NOT NULL AND $3::text IS NOT NULL AND EXISTS (
                       SELECT 1 FROM events sh_e JOIN objects sh_o ON sh_o.id = sh_e.object_id
                       WHERE sh_e.image_url = $3 AND sh_e.object_id <> o.id AND {visible_to("sh_o", "$2")})
                       AS shown_to_viewer,
                   coalesce((SELECT {visible_to("was", "$2")} FROM (
                       SELECT w.id, w.visibility, w.actor_id, w.document, NULL::timestamptz AS deleted_at
                       FROM objects w WHERE w.id = o.id) AS was), false) AS was_readable
            FROM media m LEFT JOIN objects o ON o.id = m.object_id WHERE m.file_name = $1""",
        file_name,
        viewer_id,
        url,
    )
    if row is None:
        return None
    if row["unattached"]:
        return "unattached"
    if row["deleted"]:
        return _kept_access(row)
    if row["open"]:
        return "public"
    return "viewer" if row["readable"] else None


def _kept_access(row: Mapping[str, Any]) -> str | None:
    """Access to a medium of a deleted post, by what still shows its URL (see media_access)."""
    if row["open"] and row["shown_openly"]:
        return "public"
    shown = row["shown_to_viewer"] or row["shown_openly"]
    if shown and (row["open"] or row["was_readable"]):
        return "viewer"
    return None
