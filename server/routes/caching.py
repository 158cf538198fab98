"""Answering a rendered feed with validators: ETag, Last-Modified, 304 Not Modified."""

from __future__ import annotations

from email.utils import format_datetime

from aiohttp import web

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


def _http_date(rendered: RenderedFeed) -> str:
    return format_datetime(rendered.last_modified, usegmt=True)
