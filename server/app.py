"""make_app(settings, dsn): the aiohttp application, wired explicitly.

State lives under typed `web.AppKey`s; the pool, the outbound HTTP client, the instance
actor and the background workers are opened by `cleanup_ctx` in that order and closed in
reverse (workers stop between jobs before the pool closes).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from server import background, heap_trim, mail
from server.appkeys import DSN, HTTP, INSTANCE_ACTOR, KEYRING, METRICS, POOL, REMOTE, SETTINGS
from server.config import Settings
from server.logs import request_id
from server.metrics import Metrics
from server.routes import (
    actors,
    api,
    api_area_follows,
    authorized_fetch,
    calendar,
    collections,
    embeds,
    events,
    feeds,
    health,
    inbox,
    media,
    metrics,
    neighbourhoods,
    nodeinfo,
    objects,
    pages,
    pages_area_follows,
    pages_ban_lift,
    pages_calendar_sources,
    pages_calendar_tokens,
    pages_compose,
    pages_event_actions,
    pages_event_admin,
    pages_event_form,
    pages_events,
    pages_follow_requests,
    pages_instance_admin,
    pages_moderation,
    pages_moving,
    pages_neighbourhood_export,
    pages_notifications,
    pages_organiser,
    pages_password_mail,
    pages_polls,
    pages_post_edit,
    pages_posts,
    pages_reactions,
    pages_tags,
    pages_thread_locks,
    ratelimit_middleware,
    webfinger,
)
from server.services import open_services
from server.storage.pool import create_pool

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# Request ids: a random prefix per process and a counter, unique without asking the
# system for random bytes on every request.
_REQUEST_ID_PREFIX = secrets.token_hex(4)
_request_numbers = itertools.count(1)


def new_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_request_numbers):08x}"


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request.headers.get("X-Request-Id", "")[:64] or new_request_id()
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
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
    return response


async def _database(app: web.Application) -> AsyncIterator[None]:
    pool = await create_pool(app[DSN])
    app[POOL] = pool
    yield
    await pool.close()


async def _federation(app: web.Application) -> AsyncIterator[None]:
    async with open_services(app[SETTINGS], app[POOL], app[DSN]) as services:
        app[HTTP] = services.http
        app[KEYRING] = services.keyring
        app[INSTANCE_ACTOR] = services.instance_actor
        app[REMOTE] = services.remote
        yield


async def _workers(app: web.Application) -> AsyncIterator[None]:
    from server.workers import Workers

    settings = app[SETTINGS]
    if settings.workers <= 0:
        yield
        return
    workers = Workers(settings, app[POOL], app[HTTP], app[KEYRING], app[REMOTE], app[METRICS])
    task = asyncio.create_task(workers.run())
    yield
    await workers.stop()
    await task


def make_app(settings: Settings, dsn: str) -> web.Application:
    app = web.Application(middlewares=[request_context], client_max_size=settings.inbox_max_bytes)
    app[SETTINGS] = settings
    app[DSN] = dsn
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([_database, _federation, _workers])
    health.setup(app)
    inbox.setup(app)
    metrics.setup(app)
    authorized_fetch.setup(app)
    actors.setup(app)
    collections.setup(app)
    objects.setup(app)
    webfinger.setup(app)
    nodeinfo.setup(app)
    ratelimit_middleware.setup(app)
    pages.setup(app)
    media.setup(app)
    feeds.setup(app)
    calendar.setup(app)
    api.setup(app)
    api_area_follows.setup(app)
    embeds.setup(app)
    events.setup(app)
    neighbourhoods.setup(app)
    background.setup(app)
    heap_trim.setup(app)
    pages_organiser.setup(app)
    pages_neighbourhood_export.setup(app)
    pages_moving.setup(app)
    pages_calendar_sources.setup(app)
    pages_calendar_tokens.setup(app)
    pages_area_follows.setup(app)
    pages_follow_requests.setup(app)
    pages_moderation.setup(app)
    pages_instance_admin.setup(app)
    pages_events.setup(app)
    pages_event_form.setup(app)
    pages_polls.setup(app)
    pages_event_actions.setup(app)
    pages_event_admin.setup(app)
    pages_compose.setup(app)
    pages_posts.setup(app)
    pages_post_edit.setup(app)
    pages_tags.setup(app)
    pages_notifications.setup(app)
    mail.setup(app)
    pages_password_mail.setup(app)
    pages_reactions.setup(app)
    pages_ban_lift.setup(app)
    pages_thread_locks.setup(app)
    return app
