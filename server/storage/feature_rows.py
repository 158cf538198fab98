"""SQL for the rows of feature tables (memberships, events, RSVPs, polls, media…) read and
written generically for archives: a row belongs to an actor when one of its single-column
foreign keys points at the actor, at one of its objects, or at a row collected before it.
Table and column names come from the catalog (or the fixed list below), never from input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from server.storage.actors import Db

# Feature tables carried in archives, parents before children. Only these: tables holding
# secrets (sessions, tokens, invitations, password resets) are never exported.
FEATURE_TABLES = (
    "memberships",
    "events",
    "event_attendees",
    "polls",
    "poll_options",
    "poll_votes",
    "media",
    "post_tags",
    "group_posts",
    "locked_posts",
)
# Text columns that hold the id of an object: an import points them at the object's new id
# when the object came in the same archive (a post of a member stays as it is).
OBJECT_ID_COLUMNS = {"locked_posts": ("object_ap_id",)}


class RowRefused(ValueError):
    """PostgreSQL refused a row from an archive (a constraint or a type); the message says why."""


@dataclass(frozen=True)
class ForeignKey:
    column: str
    parent: str
    parent_column: str


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def installed_tables(db: Db, names: tuple[str, ...]) -> list[str]:
    """Those of `names` that exist here (features are installed by later migrations)."""
    rows = await db.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = ANY($1::text[])""",
        list(names),
    )
    found = {str(r["relname"]) for r in rows}
    return [name for name in names if name in found]


async def foreign_keys(db: Db, table: str) -> list[ForeignKey]:
    """Single-column foreign keys of `table`: the column, the table and column it points at."""
    rows = await db.fetch(
        """SELECT a.attname AS column, p.relname AS parent, pa.attname AS parent_column
           FROM pg_constraint c
           JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_class p ON p.oid = c.confrelid
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
           JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
           WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
             AND n.nspname = current_schema() AND t.relname = $1
           ORDER BY a.attnum""",
        table,
    )
    return [ForeignKey(str(r["column"]), str(r["parent"]), str(r["parent_column"])) for r in rows]


async def columns_of(db: Db, table: str) -> list[str]:
    rows = await db.fetch(
        """SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = current_schema() AND c.relname = $1 AND a.attnum > 0
             AND NOT a.attisdropped ORDER BY a.attnum""",
        table,
    )
    return [str(r["attname"]) for r in rows]


async def rows_pointing_at(db: Db, table: str, column: str, ids: list[Any]) -> list[dict[str, Any]]:
    """Rows of `table` whose `column` is one of `ids`, as JSON objects (names from the catalog)."""
    if not ids:
        return []
    rows = await db.fetch(
        f"SELECT to_jsonb(t) AS row FROM {quote_ident(table)} t WHERE {quote_ident(column)} = ANY($1::bigint[])",
        ids,
    )
    return [dict(r["row"]) for r in rows]


async def insert_row(db: Db, table: str, row: dict[str, Any]) -> Any:
    """Insert one row given as a JSON object whose keys were checked against the catalog;
    columns left out take their defaults. Returns the new row as a JSON object."""
    names = list(row)
    columns = ", ".join(quote_ident(n) for n in names)
    quoted = quote_ident(table)
    return await db.fetchval(
        f"""INSERT INTO {quoted} ({columns})
            SELECT {columns} FROM jsonb_populate_record(NULL::{quoted}, $1::jsonb)
            RETURNING to_jsonb({quoted}.*)""",
        row,
    )


async def try_insert_row(db: Db, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """insert_row in a savepoint: None (and nothing changed) when the row is refused by a
    constraint or a type (an archive row that does not fit this host's schema)."""
    try:
        async with db.transaction():
            inserted = await insert_row(db, table, row)
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError):
        return None
    return dict(inserted) if inserted is not None else None


async def update_settings(db: Db, actor_id: int, values: dict[str, Any]) -> None:
    """Set the neighbourhood's settings from an archive: only columns that exist here."""
    known = set(await columns_of(db, "neighbourhoods")) - {"actor_id", "created_at"}
    names = [n for n in values if n in known]
    if not names:
        return
    assignments = ", ".join(f"{quote_ident(n)} = r.{quote_ident(n)}" for n in names)
    try:
        async with db.transaction():
            await _update_settings(db, actor_id, assignments, {n: values[n] for n in names})
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        raise RowRefused(str(exc)) from None


async def _update_settings(db: Db, actor_id: int, assignments: str, values: dict[str, Any]) -> None:
    await db.execute(
        f"""UPDATE neighbourhoods n SET {assignments}
            FROM jsonb_populate_record(NULL::neighbourhoods, $2::jsonb) r WHERE n.actor_id = $1""",
        actor_id,
        values,
    )
