"""SQL for objects (notes, articles, events, questions), tombstones and reactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.pool import affected


@dataclass(frozen=True)
class ObjectRow:
    id: int
    ap_id: str
    type: str
    actor_id: int | None
    attributed_to: str
    in_reply_to: str | None
    visibility: str
    is_local: bool
    content: str
    document: dict[str, Any] | None
    published_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None


_COLUMNS = """id, ap_id, type, actor_id, attributed_to, in_reply_to, visibility, is_local, content,
    document, published_at, updated_at, deleted_at"""


async def object_by_ap_id(db: Db, ap_id: str) -> ObjectRow | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM objects WHERE ap_id = $1", ap_id)
    return ObjectRow(**dict(row)) if row else None


async def insert_object(db: Db, fields: dict[str, Any]) -> ObjectRow | None:
    """Insert unless the id is known (a tombstone left by an earlier Delete wins): None then."""
    names = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await db.fetchrow(
        f"""INSERT INTO objects ({", ".join(names)}) VALUES ({placeholders})
            ON CONFLICT (ap_id) DO NOTHING RETURNING {_COLUMNS}""",
        *fields.values(),
    )
    return ObjectRow(**dict(row)) if row else None


async def update_object(db: Db, ap_id: str, content: str, document: dict[str, Any]) -> bool:
    status = await db.execute(
        """UPDATE objects SET content = $2, document = $3, updated_at = now()
           WHERE ap_id = $1 AND deleted_at IS NULL""",
        ap_id,
        content,
        document,
    )
    return affected(status) == 1


async def tombstone_object(db: Db, ap_id: str, attributed_to: str, actor_id: int | None) -> None:
    """Mark deleted, or leave a tombstone when the object has not arrived yet."""
    await db.execute(
        """INSERT INTO objects (ap_id, type, actor_id, attributed_to, visibility, is_local, content,
                                document, deleted_at)
           VALUES ($1, 'Tombstone', $3, $2, 'direct', false, '', NULL, now())
           ON CONFLICT (ap_id) DO UPDATE SET deleted_at = now(), content = '', document = NULL""",
        ap_id,
        attributed_to,
        actor_id,
    )


async def add_recipients(db: Db, object_id: int, actor_ids: list[int]) -> None:
    await db.executemany(
        "INSERT INTO object_recipients (object_id, actor_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(object_id, a) for a in actor_ids],
    )


async def remove_recipient(db: Db, object_id: int, actor_id: int) -> None:
    await db.execute("DELETE FROM object_recipients WHERE object_id = $1 AND actor_id = $2", object_id, actor_id)


async def outbox_page(db: Db, actor_id: int, limit: int, before: int | None) -> list[ObjectRow]:
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM objects
            WHERE actor_id = $1 AND deleted_at IS NULL AND visibility = 'public'
              AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3""",
        actor_id,
        before,
        limit,
    )
    return [ObjectRow(**dict(r)) for r in rows]


async def count_public(db: Db, actor_id: int) -> int:
    return int(
        await db.fetchval(
            """SELECT count(*) FROM objects WHERE actor_id = $1 AND deleted_at IS NULL
           AND visibility = 'public'""",
            actor_id,
        )
    )


async def count_local_posts(db: Db) -> int:
    return int(await db.fetchval("SELECT count(*) FROM objects WHERE is_local AND deleted_at IS NULL"))


async def add_reaction(db: Db, ap_id: str, kind: str, actor_id: int, object_ap_id: str) -> None:
    await db.execute(
        """INSERT INTO reactions (ap_id, kind, actor_id, object_ap_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING""",
        ap_id,
        kind,
        actor_id,
        object_ap_id,
    )


async def remove_reaction(db: Db, ap_id: str, actor_id: int) -> bool:
    status = await db.execute("DELETE FROM reactions WHERE ap_id = $1 AND actor_id = $2", ap_id, actor_id)
    return affected(status) == 1


async def reactions_of(db: Db, object_ap_id: str) -> list[tuple[str, str]]:
    rows = await db.fetch(
        """SELECT r.kind, a.ap_id FROM reactions r JOIN actors a ON a.id = r.actor_id
           WHERE r.object_ap_id = $1 ORDER BY r.id""",
        object_ap_id,
    )
    return [(r["kind"], r["ap_id"]) for r in rows]


# --- read side (outbox paging, served documents) ------------------------------------------


async def outbox_page_after(db: Db, actor_id: int, limit: int, after: int) -> list[ObjectRow]:
    """The public objects newer than `after`, newest first (the page before a keyset position)."""
    rows = await db.fetch(
        f"""SELECT * FROM (SELECT {_COLUMNS} FROM objects
                WHERE actor_id = $1 AND deleted_at IS NULL AND visibility = 'public' AND id > $2
                ORDER BY id ASC LIMIT $3) page ORDER BY id DESC""",
        actor_id,
        after,
        limit,
    )
    return [ObjectRow(**dict(r)) for r in rows]


async def outgoing_activity_document(db: Db, ap_id: str) -> dict[str, Any] | None:
    """The stored document of one of our outgoing activities (table outgoing_activities)."""
    value = await db.fetchval("SELECT document FROM outgoing_activities WHERE ap_id = $1", ap_id)
    return dict(value) if value is not None else None
