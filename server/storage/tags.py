"""Hashtags of posts (table post_tags) and the public posts carrying one."""

from __future__ import annotations

from collections.abc import Iterable

from server.storage.actors import Db
from server.storage.objects import ObjectRow
from server.storage.visibility import limited_author, object_columns

MAX_PAGE = 100


async def add_tags(db: Db, object_id: int, names: Iterable[str]) -> None:
    """Record normalised tag names (see server.domain.post_text.normalise_tag) of a post."""
    await db.executemany(
        "INSERT INTO post_tags (object_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(object_id, name) for name in dict.fromkeys(names)],
    )


async def replace_tags(db: Db, object_id: int, names: Iterable[str]) -> None:
    """The post's tags become exactly `names` (an edit or a received Update)."""
    wanted = list(dict.fromkeys(names))
    await db.execute("DELETE FROM post_tags WHERE object_id = $1 AND NOT (name = ANY($2::text[]))", object_id, wanted)
    await add_tags(db, object_id, wanted)


async def tags_of(db: Db, object_id: int) -> list[str]:
    rows = await db.fetch("SELECT name FROM post_tags WHERE object_id = $1 ORDER BY name", object_id)
    return [r["name"] for r in rows]


async def public_posts_with_tag(db: Db, name: str, *, limit: int = 20, before: int | None = None) -> list[ObjectRow]:
    """Public (never unlisted, followers, members or direct), undeleted posts with the tag,
    not by actors on a limited domain, newest first; `before` is the last object id of the previous page."""
    rows = await db.fetch(
        f"""SELECT {object_columns("o")} FROM post_tags t JOIN objects o ON o.id = t.object_id
            WHERE t.name = $1 AND o.visibility = 'public' AND o.deleted_at IS NULL
              AND ($2::bigint IS NULL OR t.object_id < $2) AND NOT {limited_author("o")}
            ORDER BY t.object_id DESC LIMIT $3""",
        name,
        before,
        max(1, min(limit, MAX_PAGE)),
    )
    return [ObjectRow(**dict(r)) for r in rows]
