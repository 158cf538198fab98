"""GET /healthz (the process is up) and GET /readyz (database reachable, schema current)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.appkeys import POOL
from server.storage.migrations import MigrationError, migration_status
from server.storage.pool import Pool, is_connection_error


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    pool: Pool = request.app[POOL]
    try:
        async with asyncio.timeout(5):
            async with pool.acquire() as conn:
                status = await migration_status(conn)
    except MigrationError as exc:
        return web.json_response({"status": "unready", "database": "ok", "migrations": str(exc)}, status=503)
    except (TimeoutError, Exception) as exc:
        if isinstance(exc, TimeoutError) or is_connection_error(exc):
            return web.json_response(
                {"status": "unready", "database": "unreachable"},
                status=503,
                headers={"Retry-After": "5"},
            )
        raise
    if status.pending:
        return web.json_response(
            {"status": "unready", "database": "ok", "pending_migrations": status.pending},
            status=503,
        )
    return web.json_response({"status": "ready", "database": "ok", "migrations": len(status.applied)})


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
