"""Start-up steps shared by `serve`, `worker`, `migrate` and `check`."""

from __future__ import annotations

import logging

from server.config import Settings
from server.storage.embedded import start_embedded
from server.storage.migrations import apply_migrations
from server.storage.pool import connect

log = logging.getLogger(__name__)


async def resolve_dsn(settings: Settings) -> str:
    """DATABASE_URL when set; otherwise the embedded PostgreSQL in the data directory."""
    if settings.database_url:
        return settings.database_url
    return await start_embedded(settings.data_dir)


async def migrate(dsn: str) -> list[str]:
    conn = await connect(dsn)
    try:
        applied = await apply_migrations(conn)
    finally:
        await conn.close()
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied


class StartupError(RuntimeError):
    """The server cannot start for a reason the operator can fix; the message says how."""
