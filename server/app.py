"""make_app(settings, dsn): the aiohttp application, wired explicitly.

State lives under typed `web.AppKey`s; the pool, the outbound HTTP client and the
background workers are opened and closed by `cleanup_ctx`, in that order.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from server.appkeys import DSN, POOL, SETTINGS
from server.config import Settings
from server.logs import request_id
from server.routes import health
from server.storage.pool import create_pool

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request.headers.get("X-Request-Id", "")[:64] or secrets.token_hex(8)
    token = request_id.set(rid)
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = rid
        raise
    finally:
        request_id.reset(token)
    response.headers["X-Request-Id"] = rid
    log.debug(
        "request",
        extra={"method": request.method, "path": request.path, "status": response.status,
               "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return response


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[DSN])
    app[POOL] = pool
    yield
    await pool.close()


def make_app(settings: Settings, dsn: str) -> web.Application:
    app = web.Application(
        middlewares=[request_context],
        client_max_size=settings.inbox_max_bytes,
    )
    app[SETTINGS] = settings
    app[DSN] = dsn
    app.cleanup_ctx.append(_database)
    health.setup(app)
    return app
