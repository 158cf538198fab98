"""What a resident typed → the HTML of a post: paragraphs, line breaks, links, mentions
(`@name@host`, or `@name` for someone on this instance) and hashtags (`#name`).

Pure functions. Text is escaped piece by piece, so the only markup in the result is the
markup made here (and it goes through the sanitiser again when the post is stored).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_MENTIONS = 50
MAX_TAGS = 50
MAX_TAG_LENGTH = 100

_TOKEN = re.compile(
    r"(?P<url>\bhttps?://[^\s<>\"']+)"
    r"|(?P<mention>(?<![\w/@.])@(?P<name>[A-Za-z0-9_.~+-]{1,64})(?:@(?P<host>[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,10}(?::[0-9]{1,5})?))?)"
    r"|(?P<tag>(?<![\w/&#])#(?P<tagname>\w{1,100}))"
)
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class MentionLink:
    """A resolved mention: the actor's id (for the tag) and a page to link to."""

    actor_id: str
    href: str


def normalise_tag(name: str) -> str:
    """`#Buurtfeest` → `buurtfeest` (NFKC, lower-cased, no '#')."""
    return unicodedata.normalize("NFKC", name.lstrip("#")).casefold()[:MAX_TAG_LENGTH]


def is_tag_name(name: str) -> bool:
    """At least one letter; digits only (`#1`) is not a tag."""
    return bool(name) and any(not ch.isdigit() and ch != "_" for ch in name)


def _handle(match: re.Match[str], local_host: str) -> str:
    host = (match.group("host") or local_host).lower().rstrip(".")
    return f"{match.group('name')}@{host}"


def find_mentions(text: str, local_host: str) -> list[str]:
    """`name@host` of each mention in order, deduplicated, at most MAX_MENTIONS."""
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        if match.group("mention") and len(found) < MAX_MENTIONS:
            found.setdefault(_handle(match, local_host).lower(), None)
    return list(found)


def find_hashtags(text: str) -> list[str]:
    """Normalised hashtags in order, deduplicated, at most MAX_TAGS."""
    found: dict[str, None] = {}
    for match in _TOKEN.finditer(text):
        name = match.group("tagname")
        if name and is_tag_name(name) and len(found) < MAX_TAGS:
            found.setdefault(normalise_tag(name), None)
    return list(found)


def text_to_html(
    text: str,
    *,
    local_host: str,
    mentions: Mapping[str, MentionLink],
    tag_url: Callable[[str], str],
) -> str:
    """Paragraphs on blank lines, <br> on single newlines; resolved mentions, hashtags and
    http(s) URLs become links; everything else is escaped text."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if p.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [_render_line(line, local_host, mentions, tag_url) for line in paragraph.split("\n")]
        rendered.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(rendered)


def _render_line(line: str, local_host: str, mentions: Mapping[str, MentionLink], tag_url: Callable[[str], str]) -> str:
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(line):
        out.append(html.escape(line[position : match.start()]))
        out.append(_render_token(match, local_host, mentions, tag_url))
        position = match.end()
    out.append(html.escape(line[position:]))
    return "".join(out)


def _render_token(
    match: re.Match[str], local_host: str, mentions: Mapping[str, MentionLink], tag_url: Callable[[str], str]
) -> str:
    if match.group("url"):
        url = match.group("url")
        stripped = url.rstrip(_TRAILING)
        link = f'<a href="{html.escape(stripped)}">{html.escape(stripped)}</a>'
        return link + html.escape(url[len(stripped) :])
    if match.group("mention"):
        resolved = mentions.get(_handle(match, local_host).lower())
        if resolved is None:
            return html.escape(match.group(0))
        name = html.escape(match.group("name"))
        return (
            f'<span class="h-card"><a href="{html.escape(resolved.href)}" class="u-url mention">'
            f"@<span>{name}</span></a></span>"
        )
    name = match.group("tagname")
    if not is_tag_name(name):
        return html.escape(match.group(0))
    href = html.escape(tag_url(normalise_tag(name)))
    return f'<a href="{href}" class="mention hashtag">#<span>{html.escape(name)}</span></a>'
