"""SQL for instance settings an admin changes from the web at run time (migration 0008):
a stored value overrides the configured default; no row means the default."""

from __future__ import annotations

from server.storage.actors import Db

RUNTIME_SETTINGS = ("registration_mode",)


async def stored_value(db: Db, name: str) -> str | None:
    value = await db.fetchval("SELECT value FROM instance_settings WHERE name = $1", name)
    return str(value) if value is not None else None


async def store_value(db: Db, name: str, value: str, updated_by: int | None) -> None:
    if name not in RUNTIME_SETTINGS:
        raise ValueError(f"{name!r} cannot be changed at run time")
    await db.execute(
        """INSERT INTO instance_settings (name, value, updated_by) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE
               SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()""",
        name,
        value,
        updated_by,
    )
