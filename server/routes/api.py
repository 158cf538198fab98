"""The public read-only JSON API: neighbourhoods, posts and events (public ones only).

GET /api/v1/neighbourhoods, /api/v1/neighbourhoods/{name}, /api/v1/posts, /api/v1/events
and the OpenAPI 3.1 description at /api/openapi.json. Lists are keyset-paginated with an
opaque `next_cursor`. Any origin may read (CORS `*`, no credentials); rate limits come
from the global limiter (server/routes/ratelimit_middleware.py, zone "api").
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from server.api_openapi import openapi_document
from server.appkeys import POOL, SETTINGS
from server.domain.areas import events_in_area, neighbourhoods_in_area
from server.domain.embeds import embed_snippets
from server.domain.feeds import plain_text
from server.domain.html import sanitise_html
from server.errors import json_error
from server.routes import api_params as params
from server.routes.api_params import BadParameter
from server.storage import calendar_events as event_store
from server.storage import feeds as feed_store
from server.storage.calendar_events import EventRow, EventScope, EventWindow
from server.storage.feeds import FeedPost, Page, PostScope, PublicNeighbourhood
from server.urls import Urls

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CORS_PREFIXES = ("/api/", "/feeds/", "/calendar/instance", "/calendar/neighbourhoods/", "/calendar/events/")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
    "Access-Control-Max-Age": "86400",
}
PAST_GRACE = timedelta(days=1)


def neighbourhood_json(urls: Urls, found: PublicNeighbourhood) -> dict[str, Any]:
    scope = f"neighbourhoods/{found.username}"
    ics = urls.calendar(scope)
    return {
        "id": found.ap_id,
        "name": found.username,
        "display_name": found.name,
        "summary": sanitise_html(found.summary),  # HTML, as in the Group document
        "url": found.url,
        "area_name": found.area_name,
        "timezone": found.timezone,
        "feeds": {
            "atom": urls.feed(scope, "atom"),
            "rss": urls.feed(scope, "rss"),
            "ics": ics,
            "webcal": urls.webcal(ics),
        },
    }


def post_json(post: FeedPost) -> dict[str, Any]:
    return {
        "id": post.ap_id,
        "type": post.type,
        "url": post.url,
        "title": post.title,
        "summary": post.summary,
        "content": post.content,
        "published": params.iso(post.published_at),
        "updated": params.iso(post.updated_at),
        "tags": list(post.tags),
        "author": {
            "id": post.author_ap_id,
            "name": post.author_name,
            "handle": f"{post.author_username}@{post.author_domain}",
            "url": post.author_url,
        },
    }


def event_json(urls: Urls, row: EventRow) -> dict[str, Any]:
    ics = urls.calendar("events/" + row.ap_id.rsplit("/", 1)[-1]) if row.is_local else None
    return {
        "id": row.ap_id,
        "url": row.url,
        "name": row.name,
        "description": plain_text(row.content),
        "starts_at": params.iso(row.starts_at),
        "ends_at": params.iso(row.ends_at),
        "timezone": row.timezone,
        "status": row.status,
        "location": {
            "name": row.place_name,
            "address": row.address or None,
            "latitude": row.latitude,
            "longitude": row.longitude,
        },
        "online_url": row.online_url,
        "tags": list(row.tags),
        "organiser": {"id": row.organiser_ap_id, "name": row.organiser_name, "url": row.organiser_url},
        "ics": ics,
    }


async def list_neighbourhoods(request: web.Request) -> web.Response:
    query = request.query
    count = params.limit(query)
    cursor = params.decode_cursor("n", query.get("cursor"))
    area = query.get("area")
    if area is not None and not 0 < len(area) <= 200:
        raise BadParameter("area must be 1 to 200 characters")
    bbox, near = params.bbox(query), params.near(query)
    after = cursor.name if cursor else None
    if bbox is not None or near is not None:
        found = await neighbourhoods_in_area(
            request.app[POOL], area_name=area, after_username=after, limit=count + 1, bbox=bbox, near=near
        )
    else:
        found = await feed_store.public_neighbourhoods(
            request.app[POOL], area_name=area, after_username=after, limit=count + 1
        )
    urls = Urls(request.app[SETTINGS])
    more = len(found) > count
    found = found[:count]
    nxt = params.encode_cursor("n", None, None, found[-1].username) if more else None
    return web.json_response(params.page([neighbourhood_json(urls, n) for n in found], nxt))


async def get_neighbourhood(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    found = await feed_store.public_neighbourhood(pool, request.match_info["name"])
    if found is None:
        return json_error(404, "no such neighbourhood")
    urls = Urls(request.app[SETTINGS])
    body = neighbourhood_json(urls, found)
    body["institutions"] = [
        {"id": i.ap_id, "type": i.kind, "name": i.name, "handle": f"{i.username}@{i.domain}", "url": i.url}
        for i in await feed_store.institutions_following(pool, found.actor_id)
    ]
    body["embeds"] = {kind: embed_snippets(urls, found.username, kind) for kind in ("events", "posts")}
    return web.json_response(body)


async def _neighbourhood_id(request: web.Request) -> int | None:
    name = params.matching(request.query, "neighbourhood", params.NAME_RE)
    if name is None:
        return None
    found = await feed_store.public_neighbourhood(request.app[POOL], name)
    if found is None:
        raise web.HTTPNotFound(text='{"error": "no such neighbourhood"}', content_type="application/json")
    return found.actor_id


async def list_posts(request: web.Request) -> web.Response:
    query = request.query
    count = params.limit(query)
    cursor = params.decode_cursor("p", query.get("cursor"))
    scope = PostScope(
        neighbourhood_id=await _neighbourhood_id(request),
        tag=params.matching(query, "tag", params.TAG_RE),
        local_only=query.get("neighbourhood") is None,
    )
    page = Page(
        before_at=cursor.moment if cursor else None,
        before_id=cursor.row_id if cursor else None,
        since=params.moment(query, "since"),
        until=params.moment(query, "until"),
    )
    posts = await feed_store.public_posts(request.app[POOL], scope, count + 1, page)
    more = len(posts) > count
    posts = posts[:count]
    nxt = params.encode_cursor("p", posts[-1].published_at, posts[-1].id) if more else None
    return web.json_response(params.page([post_json(p) for p in posts], nxt))


async def list_events(request: web.Request) -> web.Response:
    query = request.query
    count = params.limit(query)
    cursor = params.decode_cursor("e", query.get("cursor"))
    scope = EventScope(
        neighbourhood_id=await _neighbourhood_id(request),
        tag=params.matching(query, "tag", params.TAG_RE),
        local_only=query.get("neighbourhood") is None,
        bbox=params.bbox(query),
        near=params.near(query),
    )
    start = params.moment(query, "from") or datetime.now(UTC) - PAST_GRACE
    window = EventWindow(
        ends_after=start,
        starts_before=params.moment(query, "to"),
        after_start=cursor.moment if cursor else None,
        after_id=cursor.row_id if cursor else None,
    )
    pool = request.app[POOL]
    if scope.has_area:
        rows = await events_in_area(pool, scope, window, count + 1)
    else:
        rows = await event_store.public_events(pool, scope, window, count + 1)
    more = len(rows) > count
    rows = rows[:count]
    urls = Urls(request.app[SETTINGS])
    nxt = params.encode_cursor("e", rows[-1].starts_at, rows[-1].id) if more else None
    return web.json_response(params.page([event_json(urls, r) for r in rows], nxt))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[SETTINGS].base_url))


async def preflight(request: web.Request) -> web.Response:
    return web.Response(status=204)


def answering_bad_parameters(handler: Handler) -> Handler:
    """`handler`, answering a malformed query parameter with a JSON 400 naming it."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadParameter as exc:
            return json_error(400, str(exc))

    return wrapped


async def add_cors(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(CORS_PREFIXES):
        response.headers.update(CORS_HEADERS)


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(add_cors)
    app.router.add_get("/api/openapi.json", openapi)
    for path, handler in (
        ("/api/v1/neighbourhoods", list_neighbourhoods),
        ("/api/v1/neighbourhoods/{name}", get_neighbourhood),
        ("/api/v1/posts", list_posts),
        ("/api/v1/events", list_events),
    ):
        app.router.add_get(path, answering_bad_parameters(handler))
    app.router.add_route("OPTIONS", "/api/{tail:.*}", preflight)
