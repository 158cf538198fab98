"""Embeds: a neighbourhood's upcoming events or latest posts as a small, script-free HTML
page for an `<iframe>` on someone else's website, and as a plain HTML fragment for sites
that allow no iframes. Everything shown is plain text (escaped) and links; no post HTML,
no images, no scripts, no cookies.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.feeds import item_title, plain_text
from server.storage.calendar_events import EventRow
from server.storage.feeds import FeedPost
from server.urls import Urls

EMBED_KINDS = ("events", "posts")
EXCERPT_CHARS = 160
STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:8px;color:#222;background:#fff}"
    "h1{font-size:16px;margin:0 0 8px}ul{list-style:none;margin:0;padding:0}"
    "li{margin:0 0 8px}a{color:#0b5394}time,small{color:#555;display:block}"
    ".cancelled{text-decoration:line-through}"
)


def embed_snippets(urls: Urls, neighbourhood: str, kind: str) -> dict[str, str]:
    """What the neighbourhood page offers to copy: an iframe, and the fragment's URL."""
    src = urls.embed(neighbourhood, kind)
    title = "Agenda" if kind == "events" else "Berichten"
    iframe = (
        f'<iframe src="{html.escape(src)}" title="{html.escape(title)} {html.escape(neighbourhood)}" '
        'width="100%" height="400" style="border:0" loading="lazy" referrerpolicy="no-referrer" '
        'sandbox="allow-popups allow-popups-to-escape-sandbox"></iframe>'
    )
    return {"iframe": iframe, "html_url": src + "?format=fragment"}


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


def _local_time(moment: datetime, zone_name: str) -> str:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")


def event_items(rows: Sequence[EventRow], fallback_zone: str) -> list[str]:
    items = []
    for row in rows:
        when = _local_time(row.starts_at, row.timezone or fallback_zone)
        place = row.place_name or ("online" if row.online_url else "")
        css = ' class="cancelled"' if row.status == "cancelled" else ""
        status = " (afgelast)" if row.status == "cancelled" else ""
        items.append(
            f'<li{css}><time datetime="{html.escape(row.starts_at.isoformat())}">{html.escape(when)}</time>'
            f'<a href="{html.escape(row.url)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(row.name or 'Event')}</a>{html.escape(status)}"
            + (f"<small>{html.escape(place)}</small>" if place else "")
            + "</li>"
        )
    return items


def post_items(posts: Sequence[FeedPost], zone: str) -> list[str]:
    items = []
    for post in posts:
        when = _local_time(post.published_at, zone)
        items.append(
            f'<li><time datetime="{html.escape(post.published_at.isoformat())}">{html.escape(when)}</time>'
            f'<a href="{html.escape(post.url)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(item_title(post))}</a>"
            f"<small>{html.escape(_excerpt(plain_text(post.content)))}</small></li>"
        )
    return items


def render_fragment(title: str, page_url: str, items: Sequence[str], empty: str) -> str:
    body = "".join(items) or f"<li>{html.escape(empty)}</li>"
    return (
        f'<div class="buurtplein-embed"><h1><a href="{html.escape(page_url)}" target="_blank" '
        f'rel="noopener noreferrer">{html.escape(title)}</a></h1><ul>{body}</ul></div>'
    )


def render_page(title: str, fragment: str, language: str = "nl") -> str:
    return (
        f'<!DOCTYPE html><html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>{fragment}</body></html>"
    )
