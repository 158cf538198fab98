"""Answering a rendered feed with validators: ETag, Last-Modified, 304 Not Modified."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from email.utils import format_datetime

from aiohttp import web

from server.domain.feed_validators import Validators
from server.domain.feeds import RenderedFeed, is_not_modified

FEED_MAX_AGE = 300


def cached_response(
    request: web.Request, rendered: RenderedFeed, *, max_age: int = FEED_MAX_AGE, private: bool = False
) -> web.Response:
    """200 with the body, or 304 without it when the client's copy is current."""
    headers = {
        "ETag": rendered.etag,
        "Last-Modified": _http_date(rendered),
        "Cache-Control": f"{'private' if private else 'public'}, max-age={max_age}",
        "X-Content-Type-Options": "nosniff",
    }
    if private:
        headers["Referrer-Policy"] = "no-referrer"
    if is_not_modified(
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        rendered.etag,
        rendered.last_modified,
    ):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = rendered.content_type
    return web.Response(body=rendered.body, headers=headers)


async def validated_response(
    request: web.Request,
    validators: Validators,
    render: Callable[[], Awaitable[RenderedFeed]],
    *,
    max_age: int = FEED_MAX_AGE,
    private: bool = False,
) -> web.Response:
    """304 when the client's copy matches `validators` (computed from the feed's version,
    without rendering); else the rendered feed carrying those same validators."""
    placeholder = RenderedFeed(body=b"", content_type="", etag=validators.etag, last_modified=validators.last_modified)
    if is_not_modified(
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        validators.etag,
        validators.last_modified,
    ):
        return cached_response(request, placeholder, max_age=max_age, private=private)
    rendered = replace(await render(), etag=validators.etag, last_modified=validators.last_modified)
    return cached_response(request, rendered, max_age=max_age, private=private)


def _http_date(rendered: RenderedFeed) -> str:
    return format_datetime(rendered.last_modified, usegmt=True)
