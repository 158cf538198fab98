"""Atom and RSS feeds of public posts: the instance, a neighbourhood, a resident, a hashtag.

GET /feeds/instance.{atom|rss}, /feeds/neighbourhoods/{name}.{atom|rss},
/feeds/residents/{name}.{atom|rss}, /feeds/tags/{tag}.{atom|rss}. Anything not public
(an unknown, hidden or suspended neighbourhood or resident) answers 404 and says no more.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.feed_validators import validators_for
from server.domain.feeds import FeedMeta, RenderedFeed, render_feed
from server.errors import json_error
from server.routes.caching import validated_response
from server.storage import feeds as feed_store
from server.storage.feed_versions import posts_version
from server.storage.feeds import PostScope
from server.urls import Urls

TAG_RE = re.compile(r"^\w{1,100}$")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FMT = "{fmt:atom|rss}"


def _not_found() -> web.Response:
    return json_error(404, "no such feed")


async def _answer(request: web.Request, scope: PostScope, meta: FeedMeta) -> web.Response:
    """Validators from one aggregate query; the feed is read and rendered only for a 200."""
    settings, pool, fmt = request.app[SETTINGS], request.app[POOL], request.match_info["fmt"]
    version = await posts_version(pool, scope)
    validators = validators_for(version, (fmt, meta, settings.feed_items), fallback=meta.fallback_updated)

    async def render() -> RenderedFeed:
        return render_feed(fmt, meta, await feed_store.public_posts(pool, scope, settings.feed_items))

    return await validated_response(request, validators, render)


def _meta(
    request: web.Request, scope: str, title: str, subtitle: str, page_url: str, since: datetime = EPOCH
) -> FeedMeta:
    settings = request.app[SETTINGS]
    urls = Urls(settings)
    return FeedMeta(
        title=title,
        subtitle=subtitle,
        page_url=page_url,
        self_url=urls.feed(scope, request.match_info["fmt"]),
        generator="Buurtplein",
        fallback_updated=since,
    )


async def instance_feed(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    meta = _meta(request, "instance", settings.name, f"Public posts on {settings.domain}", settings.base_url)
    return await _answer(request, PostScope(local_only=True), meta)


async def neighbourhood_feed(request: web.Request) -> web.Response:
    found = await feed_store.public_neighbourhood(request.app[POOL], request.match_info["name"])
    if found is None:
        return _not_found()
    scope = f"neighbourhoods/{found.username}"
    meta = _meta(request, scope, found.name or found.username, found.summary, found.url, found.created_at)
    return await _answer(request, PostScope(neighbourhood_id=found.actor_id), meta)


async def resident_feed(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    found = await feed_store.public_resident(request.app[POOL], name)
    if found is None:
        return _not_found()
    actor_id, _ap_id, display, page = found
    meta = _meta(request, f"residents/{name.lower()}", display or name, "", page)
    return await _answer(request, PostScope(author_id=actor_id), meta)


async def tag_feed(request: web.Request) -> web.Response:
    tag = request.match_info["tag"]
    if not TAG_RE.match(tag):
        return _not_found()
    settings = request.app[SETTINGS]
    meta = _meta(request, f"tags/{tag}", f"#{tag} — {settings.name}", "", f"{settings.base_url}/tags/{tag}")
    return await _answer(request, PostScope(tag=tag, local_only=True), meta)


def setup(app: web.Application) -> None:
    app.router.add_get(f"/feeds/instance.{FMT}", instance_feed)
    app.router.add_get(f"/feeds/neighbourhoods/{{name}}.{FMT}", neighbourhood_feed)
    app.router.add_get(f"/feeds/residents/{{name}}.{FMT}", resident_feed)
    app.router.add_get(f"/feeds/tags/{{tag}}.{FMT}", tag_feed)
