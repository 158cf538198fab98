"""Atom 1.0 (RFC 4287) and RSS 2.0 documents for public posts, with HTTP validators.

The XML is built with xml.etree, so every text and attribute is escaped by the library;
post HTML goes into `<content type="html">` / `<description>` as escaped text. The
validators come from the document itself (a strong ETag over the bytes) and from the
newest change among the items (Last-Modified).
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from server.storage.feeds import FeedPost
from server.urls import Urls

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
FORMATS = ("atom", "rss")
TITLE_CHARS = 80
_TAG_RE = re.compile(r"<[^>]*>")
_SPACE_RE = re.compile(r"\s+")
# Characters XML 1.0 cannot carry at all, even escaped: dropped from every text.
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class FeedMeta:
    """What a feed is about: its title, the page it mirrors and its own URL."""

    title: str
    subtitle: str
    page_url: str
    self_url: str
    generator: str
    fallback_updated: datetime  # when there are no items


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class FeedLink:
    """One `<link rel="alternate">` for an HTML page."""

    rel: str
    type: str
    title: str
    href: str

    def to_html(self) -> str:
        return (
            f'<link rel="{html.escape(self.rel)}" type="{html.escape(self.type)}" '
            f'title="{html.escape(self.title)}" href="{html.escape(self.href)}">'
        )


def feed_links(urls: Urls, scope: str, title: str, *, with_calendar: bool = False) -> list[FeedLink]:
    """The alternate links a page offers (scope as in `Urls.feed`): Atom, RSS and, for
    neighbourhoods and the instance, the iCalendar feed."""
    links = [
        FeedLink("alternate", "application/atom+xml", f"{title} (Atom)", urls.feed(scope, "atom")),
        FeedLink("alternate", "application/rss+xml", f"{title} (RSS)", urls.feed(scope, "rss")),
    ]
    if with_calendar:
        links.append(FeedLink("alternate", "text/calendar", f"{title} (agenda)", urls.calendar(scope)))
    return links


def plain_text(fragment: str) -> str:
    """HTML to one line of text (for titles)."""
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", fragment))).strip()


def xml_safe(text: str) -> str:
    return _NOT_XML_RE.sub("", text)


def item_title(post: FeedPost) -> str:
    if post.title:
        return post.title
    if post.summary:
        return post.summary
    text = plain_text(post.content)
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1].rstrip() + "…"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _last_modified(meta: FeedMeta, posts: Sequence[FeedPost]) -> datetime:
    newest = max((p.changed_at for p in posts), default=meta.fallback_updated)
    return newest.astimezone(UTC).replace(microsecond=0)


def _finish(root: ET.Element, content_type: str, last_modified: datetime) -> RenderedFeed:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return RenderedFeed(body=body, content_type=content_type, etag=etag, last_modified=last_modified)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def render_atom(meta: FeedMeta, posts: Sequence[FeedPost]) -> RenderedFeed:
    # Atom elements are unprefixed; the namespace is declared on the root element.
    updated = _last_modified(meta, posts)
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "id", meta.self_url)
    _sub(root, "title", meta.title)
    if meta.subtitle:
        _sub(root, "subtitle", plain_text(meta.subtitle))
    _sub(root, "updated", _iso(updated))
    _sub(root, "link", rel="self", type="application/atom+xml", href=meta.self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=meta.page_url)
    _sub(root, "generator", meta.generator)
    for post in posts:
        entry = _sub(root, "entry")
        _sub(entry, "id", post.ap_id)
        _sub(entry, "title", item_title(post))
        _sub(entry, "link", rel="alternate", type="text/html", href=post.url)
        _sub(entry, "published", _iso(post.published_at))
        _sub(entry, "updated", _iso(post.changed_at))
        author = _sub(entry, "author")
        _sub(author, "name", post.author_name or post.author_username)
        _sub(author, "uri", post.author_url)
        for tag in post.tags:
            _sub(entry, "category", term=tag)
        if post.summary:
            _sub(entry, "summary", post.summary)
        _sub(entry, "content", post.content, type="html")
    return _finish(root, ATOM_TYPE, updated)


def render_rss(meta: FeedMeta, posts: Sequence[FeedPost]) -> RenderedFeed:
    ET.register_namespace("atom", ATOM_NS)
    ET.register_namespace("dc", DC_NS)
    updated = _last_modified(meta, posts)
    root = ET.Element("rss", {"version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.page_url)
    # readers render a channel's description as HTML, like an item's: the text is escaped
    _sub(channel, "description", html.escape(plain_text(meta.subtitle) or meta.title, quote=False))
    _sub(channel, "lastBuildDate", format_datetime(updated, usegmt=True))
    _sub(channel, "generator", meta.generator)
    _sub(channel, f"{{{ATOM_NS}}}link", rel="self", type="application/rss+xml", href=meta.self_url)
    for post in posts:
        item = _sub(channel, "item")
        _sub(item, "title", item_title(post))
        _sub(item, "link", post.url)
        _sub(item, "guid", post.ap_id, isPermaLink="true" if post.url == post.ap_id else "false")
        _sub(item, "pubDate", format_datetime(post.published_at.astimezone(UTC), usegmt=True))
        _sub(item, f"{{{DC_NS}}}creator", post.author_name or post.author_username)
        for tag in post.tags:
            _sub(item, "category", tag)
        _sub(item, "description", post.content)
    return _finish(root, RSS_TYPE, updated)


def render_feed(fmt: str, meta: FeedMeta, posts: Sequence[FeedPost]) -> RenderedFeed:
    if fmt == "atom":
        return render_atom(meta, posts)
    if fmt == "rss":
        return render_rss(meta, posts)
    raise ValueError(f"unknown feed format {fmt!r}")


def is_not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime
) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present (weak comparison); otherwise
    If-Modified-Since is compared at one-second precision."""
    if if_none_match is not None:
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or etag.removeprefix("W/") in wanted
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return last_modified.replace(microsecond=0) <= since
    return False
