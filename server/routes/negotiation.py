"""Content negotiation between ActivityStreams JSON and HTML, and the response helpers.

`wants_activity_json` reads `Accept` with q-values: AS2 wins when its best q is above zero
and at least that of `text/html` (a browser's `text/html,…,*/*;q=0.8` gets HTML; a
server's `application/activity+json` gets JSON). Every negotiated response says
`Vary: Accept` so caches keep the two forms apart.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson
from aiohttp import web

from activitypub.terms import is_as2_media_type

ACTIVITY_JSON_UTF8 = "application/activity+json; charset=utf-8"
HTML_UTF8 = "text/html; charset=utf-8"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# one media range: anything up to a comma that is not inside a quoted parameter value
_RANGE_RE = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')
_MAX_ACCEPT = 2048


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


@lru_cache(maxsize=256)
def prefers_activity_json(accept: str) -> bool:
    """True when `accept` (an Accept header value) asks for AS2 at least as much as for HTML."""
    as2 = html_q = 0.0
    for match in _RANGE_RE.finditer(accept[:_MAX_ACCEPT]):
        media_range = match.group().strip()
        if not media_range:
            continue
        main, *params = media_range.split(";")
        media = main.strip().lower()
        q = _quality(params)
        if media in ("application/activity+json", "application/ld+json"):
            if is_as2_media_type(media_range):
                as2 = max(as2, q)
        elif media in _HTML_TYPES:
            html_q = max(html_q, q)
    return as2 > 0.0 and as2 >= html_q


def wants_activity_json(request: web.BaseRequest) -> bool:
    """True for an ActivityPub client (AS2 in Accept, preferred over HTML); False otherwise."""
    accept = request.headers.get("Accept")
    return bool(accept) and prefers_activity_json(accept or "")


def _headers(content_type: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {"Content-Type": content_type, "Vary": "Accept"}
    if extra:
        headers.update(extra)
    return headers


def json_body_response(
    doc: Any, content_type: str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """`doc` serialised by orjson under `content_type`, with `Vary: Accept`."""
    return web.Response(body=orjson.dumps(doc), status=status, headers=_headers(content_type, headers))


def body_response(
    body: bytes, content_type: str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """An already serialised body under `content_type`, with `Vary: Accept`."""
    return web.Response(body=body, status=status, headers=_headers(content_type, headers))


def activity_response(doc: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """An ActivityStreams document (`application/activity+json; charset=utf-8`)."""
    return json_body_response(doc, ACTIVITY_JSON_UTF8, status=status, headers=headers)


def activity_body_response(body: bytes, status: int = 200) -> web.Response:
    """An already serialised ActivityStreams document."""
    return web.Response(body=body, status=status, headers=_headers(ACTIVITY_JSON_UTF8, None))


def activity_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    """An error for an AS2 client: a small JSON body, same media type as a success."""
    return activity_response({"error": message}, status=status, headers=headers)


def html_response(body: str, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(text=body, status=status, headers=_headers(HTML_UTF8, headers))


def render_page(*, title: str, body_html: str, lang: str = "nl", alternate: str | None = None) -> str:
    """A complete, plain, accessible HTML page: no scripts, no external assets.

    `title` is text (escaped here); `body_html` must already be safe HTML."""
    link = ""
    if alternate:
        link = f'\n<link rel="alternate" type="application/activity+json" href="{html.escape(alternate, quote=True)}">'
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang, quote=True)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>{link}\n</head>\n<body>\n<main>\n{body_html}\n</main>\n"
        "</body>\n</html>\n"
    )


def negotiated_error(request: web.BaseRequest, status: int, message: str) -> web.Response:
    """A 4xx in the form the client asked for: JSON for AS2 clients, a tiny page otherwise."""
    if wants_activity_json(request):
        return activity_error(status, message)
    page = render_page(title=message, body_html=f"<h1>{html.escape(message)}</h1>")
    return html_response(page, status=status)
