"""Forward-only SQL migrations: `migrations/NNNN_verb_object.sql`, applied in order.

Each file runs in its own transaction and is recorded in `schema_migrations` with a
SHA-256 checksum; a landed file that was edited afterwards stops start-up. A PostgreSQL
advisory lock serialises processes that start at the same time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from server.storage.pool import Connection

MIGRATION_LOCK_ID = 0x6275757274  # "buurt"
_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(RuntimeError):
    """The migrations on disk and in the database disagree."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def default_directory() -> Path:
    return Path(__file__).resolve().parents[2] / "migrations"


def load_migrations(directory: Path | None = None) -> list[Migration]:
    folder = directory or default_directory()
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if match is None:
            raise MigrationError(f"migration file {path.name} is not named NNNN_verb_object.sql")
        found.append(Migration(int(match.group(1)), path.name, path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a number")
    return found


@dataclass(frozen=True)
class MigrationStatus:
    applied: list[str]
    pending: list[str]


async def _ensure_table(conn: Connection) -> None:
    await conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY,
               name text NOT NULL,
               checksum text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now())"""
    )


async def _check_landed(conn: Connection, migrations: list[Migration]) -> set[int]:
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    by_version = {m.version: m for m in migrations}
    for row in rows:
        migration = by_version.get(row["version"])
        if migration is None:
            raise MigrationError(
                f"the database has migration {row['name']}, which this version does not know; run a newer Buurtplein"
            )
        if migration.checksum != row["checksum"]:
            raise MigrationError(
                f"migration {migration.name} was edited after it was applied; "
                "restore it and add a new migration instead"
            )
    return {row["version"] for row in rows}


async def migration_status(conn: Connection, directory: Path | None = None) -> MigrationStatus:
    migrations = load_migrations(directory)
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done: set[int] = await _check_landed(conn, migrations) if exists else set()
    return MigrationStatus(
        applied=[m.name for m in migrations if m.version in done],
        pending=[m.name for m in migrations if m.version not in done],
    )


async def apply_migrations(conn: Connection, directory: Path | None = None) -> list[str]:
    """Apply pending migrations under an advisory lock; returns the names applied."""
    migrations = load_migrations(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
    try:
        await _ensure_table(conn)
        done = await _check_landed(conn, migrations)
        applied: list[str] = []
        for migration in migrations:
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
