"""The background tasks beside the queue workers, in one list for both kinds of process:
`buurtplein serve` runs them when it runs workers (`workers` > 0), `buurtplein worker`
always. Each runs until its stop event is set and then finishes the pass in progress; each
is safe to run in several processes at once (its module says how).

- calendar sync (server/calendar_sync_task.py), woken at once by "sync now" and a new source;
- password-reset e-mails retried (server/reset_mail_task.py);
- follow and block lists imported (server/list_import_task.py), woken by an upload here;
- polls closed and their results sent (server/poll_close_task.py);
- neighbourhood bans ended at their end time (server/ban_expiry_task.py), every minute;
- media cleaned (server/media_housekeeping.py) and the work queues pruned and vacuumed
  (server/queue_housekeeping.py), hourly.

The heap trimming (server/heap_trim.py) is not among them: every process trims its heap,
with workers or without.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from federation.http import HttpClient
from server.appkeys import DSN, HTTP, KEYRING, POOL, REMOTE, SETTINGS
from server.ban_expiry_task import run_ban_expiry
from server.calendar_sync_task import run_calendar_sync
from server.domain.federation_context import Federating
from server.list_import_task import WAKE, run_list_imports
from server.media_housekeeping import run_media_cleaning
from server.poll_close_task import run_poll_closing
from server.queue_housekeeping import run_queue_housekeeping
from server.reset_mail_task import run_reset_mail_retries


@dataclass(frozen=True)
class Context:
    """What the tasks use: the federation context, the outgoing HTTP client, the database
    address (for a listening connection of its own) and the event an upload sets to wake
    the list imports."""

    fed: Federating
    http: HttpClient
    dsn: str
    list_import_wake: asyncio.Event


Task = Callable[[Context, asyncio.Event], Awaitable[None]]

TASKS: tuple[Task, ...] = (
    lambda ctx, stop: run_calendar_sync(ctx.fed, stop, ctx.dsn),
    lambda ctx, stop: run_reset_mail_retries(ctx.fed.pool, ctx.fed.settings, stop),
    lambda ctx, stop: run_list_imports(ctx.fed, ctx.http, stop, ctx.list_import_wake),
    lambda ctx, stop: run_poll_closing(ctx.fed, stop),
    lambda ctx, stop: run_ban_expiry(ctx.fed, stop),
    lambda ctx, stop: run_media_cleaning(ctx.fed.pool, ctx.fed.settings, stop),
    lambda ctx, stop: run_queue_housekeeping(ctx.fed.pool, ctx.fed.settings, stop),
)


async def run_background_tasks(ctx: Context, stop: asyncio.Event) -> None:
    """Every task side by side until `stop` is set; returns when all have finished."""
    await asyncio.gather(*(task(ctx, stop) for task in TASKS))


async def _in_web_process(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.workers <= 0:
        yield
        return
    fed = Federating(app[POOL], settings, app[KEYRING], app[REMOTE])
    stop = asyncio.Event()
    task = asyncio.create_task(run_background_tasks(Context(fed, app[HTTP], app[DSN], app[WAKE]), stop))
    yield
    stop.set()
    await task


def setup(app: web.Application) -> None:
    """Run the tasks in this web process while it serves, when it runs workers."""
    app[WAKE] = asyncio.Event()
    app.cleanup_ctx.append(_in_web_process)
