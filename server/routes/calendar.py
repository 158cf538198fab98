"""iCalendar feeds of public events (`webcal://` links are these URLs with that scheme).

GET /calendar/instance.ics, /calendar/neighbourhoods/{name}.ics, /calendar/events/{uid}.ics
and the private /calendar/my/{token}.ics. An unknown or hidden neighbourhood, a non-public
event and a wrong or revoked token all answer the same 404.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.calendar import CalendarMeta
from server.domain.calendar_feeds import (
    owner_of_token,
    product_id,
    single_event_calendar,
    upcoming_calendar,
    upcoming_window,
)
from server.domain.feed_validators import validators_for
from server.domain.feeds import RenderedFeed
from server.errors import json_error
from server.routes.caching import validated_response
from server.storage import feeds as feed_store
from server.storage.calendar_events import EventScope, EventWindow
from server.storage.feed_versions import events_version
from server.urls import Urls

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _not_found() -> web.Response:
    return json_error(404, "no such calendar")


async def _answer(
    request: web.Request, scope: EventScope, name: str, description: str, *, private: bool = False
) -> web.Response:
    """Validators from one aggregate query; the calendar is read and rendered only for a 200."""
    settings, pool, now = request.app[SETTINGS], request.app[POOL], datetime.now(UTC)
    meta = CalendarMeta(name=name, description=description, product=product_id(settings))
    version = await events_version(pool, scope, upcoming_window(now))
    validators = validators_for(version, (meta, settings.calendar_max_events), fallback=EPOCH)

    async def render() -> RenderedFeed:
        return await upcoming_calendar(pool, settings, scope, meta, now=now, fallback=EPOCH)

    response = await validated_response(request, validators, render, private=private)
    response.headers["Content-Disposition"] = 'inline; filename="agenda.ics"'
    return response


async def instance_calendar(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    return await _answer(request, EventScope(local_only=True), settings.name, f"Events on {settings.domain}")


async def neighbourhood_calendar(request: web.Request) -> web.Response:
    found = await feed_store.public_neighbourhood(request.app[POOL], request.match_info["name"])
    if found is None:
        return _not_found()
    return await _answer(request, EventScope(neighbourhood_id=found.actor_id), found.name or found.username, "")


async def event_calendar(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    ap_id = Urls(settings).object(request.match_info["uid"])
    meta = CalendarMeta(name=settings.name, description="", product=product_id(settings))
    pool = request.app[POOL]
    version = await events_version(pool, EventScope(ap_id=ap_id, local_only=True), EventWindow())
    if version.items == 0:
        return _not_found()

    async def render() -> RenderedFeed:
        rendered = await single_event_calendar(pool, settings, ap_id, meta, fallback=EPOCH)
        return rendered or RenderedFeed(body=b"", content_type="text/calendar", etag="", last_modified=EPOCH)

    response = await validated_response(request, validators_for(version, (meta,), fallback=EPOCH), render)
    response.headers["Content-Disposition"] = 'inline; filename="event.ics"'
    return response


async def my_calendar(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    owner = await owner_of_token(request.app[POOL], request.match_info["token"])
    if owner is None:
        return _not_found()
    return await _answer(request, EventScope(attendee_id=owner), f"{settings.name}: my events", "", private=True)


def setup(app: web.Application) -> None:
    app.router.add_get("/calendar/instance.ics", instance_calendar)
    app.router.add_get("/calendar/neighbourhoods/{name}.ics", neighbourhood_calendar)
    app.router.add_get("/calendar/events/{uid}.ics", event_calendar)
    app.router.add_get("/calendar/my/{token}.ics", my_calendar)
