"""A bounded crawler of one instance's public surfaces, as an unsigned stranger would see
them: every page in both forms (AS2 and HTML), the feeds (Atom, RSS), the calendars (ICS)
and the public API, following every link on our own origin (uploaded media included)."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from tests.harness import Instance

AS2 = "application/activity+json"
HTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
ACTIVE_TAGS = frozenset(
    {"script", "style", "iframe", "frame", "object", "embed", "svg", "math", "form", "base", "applet", "template"}
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "background"})
_CONTROL = re.compile(r"[\x00-\x20]+")


@dataclass(frozen=True)
class Page:
    url: str
    accept: str
    status: int
    content_type: str
    data: bytes

    @property
    def body(self) -> str:
        return self.data.decode("utf-8", "replace")


def start_urls(inst: Instance, usernames: Iterable[str], neighbourhoods: Iterable[str] = ()) -> list[str]:
    domain = inst.settings.domain
    urls = [
        "/",
        "/actor",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.0",
        "/nodeinfo/2.1",
        "/.well-known/host-meta",
        "/.well-known/host-meta.json",
        "/feeds/instance.atom",
        "/feeds/instance.rss",
        "/calendar/instance.ics",
        "/api/v1/neighbourhoods",
        "/api/v1/posts",
        "/api/v1/events",
    ]
    for name in usernames:
        urls += [
            f"/actors/{name}",
            f"/@{name}",
            f"/.well-known/webfinger?resource={quote(f'acct:{name}@{domain}')}",
            f"/actors/{name}/outbox",
            f"/actors/{name}/followers",
            f"/actors/{name}/following",
            f"/actors/{name}/featured",
            f"/feeds/residents/{name}.atom",
            f"/feeds/residents/{name}.rss",
        ]
    for name in neighbourhoods:
        urls += [
            f"/feeds/neighbourhoods/{name}.atom",
            f"/feeds/neighbourhoods/{name}.rss",
            f"/calendar/neighbourhoods/{name}.ics",
            f"/api/v1/neighbourhoods/{name}",
            f"/api/v1/posts?neighbourhood={name}",
            f"/api/v1/events?neighbourhood={name}",
        ]
    return [inst.url(u) for u in urls]


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def links(page: Page, base: str) -> set[str]:
    found: set[str] = set()
    if "json" in page.content_type:
        try:
            candidates = list(_strings(orjson.loads(page.body)))
        except orjson.JSONDecodeError:
            candidates = []
    elif "html" in page.content_type:
        candidates = re.findall(r'(?:href|src|content)="([^"]+)"', page.body)
    elif page.content_type.startswith(("text/", "application/")):  # feeds, calendars: any URL of ours
        unfolded = page.body.replace("\r\n ", "").replace("\n ", "")  # ICS folds long lines
        candidates = re.findall(re.escape(base) + r"/[^\s\"'<>\\]*", unfolded)
    else:
        candidates = []  # images and other bytes
    for text in candidates:
        text = text.replace("&amp;", "&")
        if text.startswith(base + "/") and "{" not in text:  # skip URL templates ({uri})
            found.add(text.split("#", 1)[0])
    return found


async def crawl(
    inst: Instance,
    extra: Iterable[str] = (),
    usernames: Iterable[str] = (),
    limit: int = 400,
    neighbourhoods: Iterable[str] = (),
) -> list[Page]:
    """Every page reachable from the start URLs (and `extra`), in both forms, unsigned."""
    queue = deque([*start_urls(inst, usernames, neighbourhoods), *extra])
    seen: set[str] = set()
    pages: list[Page] = []
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen or urlsplit(url).netloc != inst.settings.domain:
            continue
        seen.add(url)
        for accept in (AS2, HTML):
            async with inst.session.get(url, headers={"Accept": accept}, allow_redirects=False) as resp:
                page = Page(url, accept, resp.status, resp.headers.get("Content-Type", ""), await resp.read())
            assert page.status < 500, (url, page.status)
            pages.append(page)
            queue.extend(links(page, inst.base_url) - seen)
    return pages


def _own_form(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """Our page templates have forms (language switch, follow, log in) that post to a path on
    our own site; an injected form would have to survive the sanitiser, and has no such action."""
    action = dict(attrs).get("action") or ""
    return tag == "form" and action.startswith("/") and not action.startswith("//")


class _ActiveContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS and not _own_form(tag, attrs):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            if name in URL_ATTRIBUTES and value is not None:
                scheme = _CONTROL.sub("", value).lower()
                if scheme.startswith(("javascript:", "data:", "vbscript:")):
                    self.found.append(f"{tag} {name}={value[:40]}")
            if tag == "meta" and name == "http-equiv":
                self.found.append("meta http-equiv")

    handle_startendtag = handle_starttag


def active_content(html_text: str) -> list[str]:
    """Scripts, handlers, dangerous URLs and active elements in an HTML fragment or page."""
    parser = _ActiveContent()
    parser.feed(html_text)
    parser.close()
    return parser.found


def html_fields(document: Any) -> Iterator[str]:
    """The values of AS2 properties that hold HTML (content, summary and their maps)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("content", "summary") and isinstance(value, str):
                    yield value
                elif key in ("contentMap", "summaryMap") and isinstance(value, dict):
                    yield from (v for v in value.values() if isinstance(v, str))
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


class _MetaTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        name = values.get("property") or values.get("name") or values.get("itemprop")
        if tag == "meta" and name:
            self.found.append((name, values.get("content") or ""))

    handle_startendtag = handle_starttag


def meta_tags(html_text: str) -> list[tuple[str, str]]:
    """(property or name, content) of every <meta> of a page: OpenGraph (`og:*`), Twitter
    cards, description — what link previews on other sites show."""
    parser = _MetaTags()
    parser.feed(html_text)
    parser.close()
    return parser.found
