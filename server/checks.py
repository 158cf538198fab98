"""`buurtplein check`: diagnose configuration, database connectivity and migrations."""

from __future__ import annotations

import os
from dataclasses import dataclass

from server.config import Settings
from server.runtime import resolve_dsn
from server.storage.embedded import EmbeddedDatabaseRefused
from server.storage.maintenance import autovacuum_on
from server.storage.migrations import MigrationError, migration_status
from server.storage.pool import Connection, DatabaseUnavailable, connect, redact_dsn


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


async def run_checks(settings: Settings) -> list[CheckResult]:
    results = [
        CheckResult("configuration", True, f"public URL {settings.base_url}"),
        _check_data_dir(settings),
    ]
    try:
        dsn = await resolve_dsn(settings)
    except (DatabaseUnavailable, EmbeddedDatabaseRefused) as exc:
        return [*results, CheckResult("database", False, str(exc))]
    try:
        conn = await connect(dsn)
    except DatabaseUnavailable as exc:
        return [*results, CheckResult("database", False, str(exc))]
    try:
        version = await conn.fetchval("SHOW server_version")
        results.append(CheckResult("database", True, f"PostgreSQL {version} at {redact_dsn(dsn)}"))
        try:
            status = await migration_status(conn)
        except MigrationError as exc:
            results.append(CheckResult("migrations", False, str(exc)))
        else:
            if status.pending:
                results.append(
                    CheckResult(
                        "migrations",
                        False,
                        f"{len(status.pending)} pending ({', '.join(status.pending)}): run `buurtplein migrate`",
                    )
                )
            else:
                results.append(CheckResult("migrations", True, f"{len(status.applied)} applied"))
        results.append(await _check_autovacuum(conn))
    finally:
        await conn.close()
    return results


async def _check_autovacuum(conn: Connection) -> CheckResult:
    """Autovacuum off is allowed (the workers vacuum the queue tables themselves) but
    worth knowing: every other table then keeps its dead rows until someone vacuums."""
    if await autovacuum_on(conn):
        return CheckResult("autovacuum", True, "on")
    return CheckResult(
        "autovacuum",
        True,
        "off: the workers vacuum the queue tables themselves; switch it on in postgresql.conf for the other tables",
    )


def _check_data_dir(settings: Settings) -> CheckResult:
    path = settings.data_dir.resolve()
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return CheckResult("data directory", False, f"{path} cannot be created: {existing} is not a directory")
    if not os.access(existing, os.W_OK):
        where = "is not writable" if existing == path else f"cannot be created ({existing} is not writable)"
        return CheckResult("data directory", False, f"{path} {where}")
    return CheckResult("data directory", True, str(path))
