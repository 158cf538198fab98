"""GET /metrics: Prometheus text, only with `Authorization: Bearer <metrics_token>`.

Without a configured token the path does not exist (404); a wrong token gets 401."""

from __future__ import annotations

import hmac

from aiohttp import web

from server.appkeys import METRICS, POOL, SETTINGS
from server.metrics import render
from server.storage import deliveries as delivery_store
from server.storage import inbox as inbox_store


async def metrics(request: web.Request) -> web.Response:
    token = request.app[SETTINGS].metrics_token
    if not token:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    pool = request.app[POOL]
    text = render(
        request.app[METRICS],
        await inbox_store.count_by_state(pool),
        await delivery_store.count_by_state(pool),
        await delivery_store.failures_per_host(pool),
    )
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def setup(app: web.Application) -> None:
    app.router.add_get("/metrics", metrics)
