"""SQL for private calendar tokens: only their SHA-256 is stored; revoked ones stay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import affected


@dataclass(frozen=True)
class CalendarTokenRow:
    id: int
    actor_id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_COLUMNS = "id, actor_id, label, created_at, last_used_at, revoked_at"


async def insert_token(db: Db, actor_id: int, token_hash: bytes, label: str) -> CalendarTokenRow:
    row = await db.fetchrow(
        f"""INSERT INTO calendar_tokens (actor_id, token_hash, label) VALUES ($1, $2, $3)
            RETURNING {_COLUMNS}""",
        actor_id,
        token_hash,
        label,
    )
    assert row is not None
    return CalendarTokenRow(**dict(row))


async def actor_of_token(db: Db, token_hash: bytes) -> int | None:
    """The owner of a live token (and the token marked as used); None when unknown or revoked."""
    value = await db.fetchval(
        """UPDATE calendar_tokens SET last_used_at = now()
           WHERE token_hash = $1 AND revoked_at IS NULL RETURNING actor_id""",
        token_hash,
    )
    return int(value) if value is not None else None


async def tokens_of(db: Db, actor_id: int) -> list[CalendarTokenRow]:
    rows = await db.fetch(f"SELECT {_COLUMNS} FROM calendar_tokens WHERE actor_id = $1 ORDER BY id", actor_id)
    return [CalendarTokenRow(**dict(r)) for r in rows]


async def revoke_token(db: Db, actor_id: int, token_id: int) -> bool:
    status = await db.execute(
        """UPDATE calendar_tokens SET revoked_at = now()
           WHERE id = $1 AND actor_id = $2 AND revoked_at IS NULL""",
        token_id,
        actor_id,
    )
    return affected(status) == 1
