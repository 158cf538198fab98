"""OpenGraph `<meta property="og:…">` tags for link previews of public pages: a
neighbourhood, a discoverable resident's profile, and a public or unlisted post, event or
poll. Nothing is made for followers-only, members-only or direct content, whoever reads
the page, so a preview can never show it. Descriptions are plain text (markup, script and
control characters removed), one line, at most `MAX_DESCRIPTION` characters; the page
template escapes every value. `og:image` (with `og:image:alt`) only names our own media
of public content: an uploaded image of a public post or event, or a profile picture.
No Twitter-card tags."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from server.appkeys import SETTINGS
from server.storage.actors import ActorRow
from server.storage.events import EventFields
from server.storage.objects import ObjectRow
from server.web.forms import N_
from server.web.post_lists import attachments_of, post_path
from server.web.templating import translate

PICTURE_ALT = N_("Profile picture of %(name)s")
PREVIEWED = frozenset({"public", "unlisted"})
MAX_DESCRIPTION = 200
MAX_TITLE = 120
_SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "svg", "math", "iframe", "object", "noscript"})
_BREAKS = frozenset({"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})


@dataclass(frozen=True)
class MetaTag:
    property: str
    content: str


class _Text(HTMLParser):
    """The text of an HTML fragment, without what a browser would not show as text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self.skipping += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(fragment: str) -> str:
    """HTML → one line of text: tags and hidden elements dropped, entities decoded,
    control and format characters removed, whitespace collapsed."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return one_line("".join(parser.parts))


def one_line(text: str) -> str:
    """Plain text on one line: control and format characters removed, whitespace collapsed."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(cleaned.split())


def shorten(text: str, limit: int = MAX_DESCRIPTION) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def own_media(url: str | None, base_url: str) -> str | None:
    """`url` (absolute or a path) when it is one of our uploaded files, absolute; else None."""
    if not url:
        return None
    if url.startswith("/media/"):
        url = base_url + url
    return url if url.startswith(base_url + "/media/") else None


def tags(
    *,
    site: str,
    kind: str,
    title: str,
    description: str,
    url: str,
    image: str | None = None,
    image_alt: str = "",
) -> list[MetaTag]:
    """The tags of one page; every text is plain text (not HTML)."""
    found = [
        MetaTag("og:site_name", shorten(one_line(site), MAX_TITLE)),
        MetaTag("og:type", kind),
        MetaTag("og:title", shorten(one_line(title), MAX_TITLE)),
        MetaTag("og:url", url),
    ]
    text = shorten(one_line(description))
    if text:
        found.append(MetaTag("og:description", text))
    if image:
        found.append(MetaTag("og:image", image))
        alt = shorten(one_line(image_alt))
        if alt:
            found.append(MetaTag("og:image:alt", alt))
    return found


def for_actor(actor: ActorRow, *, site: str, base_url: str, title: str, picture_alt: str) -> list[MetaTag]:
    """A local neighbourhood or resident that is discoverable (else nothing)."""
    if not actor.is_local or not actor.discoverable or actor.gone_at is not None:
        return []
    kind = "website" if actor.kind == "Group" else "profile"
    picture = own_media(actor.icon_url, base_url)
    return tags(
        site=site,
        kind=kind,
        title=title,
        description=plain_text(actor.summary),
        url=f"{base_url}/@{actor.username}",
        image=picture,
        image_alt=picture_alt if picture else "",
    )


def _warning(obj: ObjectRow) -> str:
    doc: dict[str, Any] = obj.document or {}
    summary = doc.get("summary")
    return summary if isinstance(summary, str) else ""


def previewable(obj: ObjectRow) -> bool:
    return obj.visibility in PREVIEWED and obj.deleted_at is None


def for_post(obj: ObjectRow, *, site: str, base_url: str, title: str, url: str) -> list[MetaTag]:
    """A public or unlisted post (else nothing). Behind a content warning the description
    is the warning and no image is named."""
    if not previewable(obj):
        return []
    warning = plain_text(_warning(obj))
    image, alt = None, ""
    if obj.is_local and not warning and not (obj.document or {}).get("sensitive"):
        for item in attachments_of(obj):
            image = own_media(str(item["url"]), base_url)
            if image:
                alt = str(item["alt"])
                break
    return tags(
        site=site,
        kind="article",
        title=title,
        description=warning or plain_text(obj.content),
        url=url,
        image=image,
        image_alt=alt,
    )


def for_event(
    obj: ObjectRow,
    *,
    site: str,
    base_url: str,
    name: str,
    when: str,
    place: str,
    url: str,
    image_url: str | None,
    image_alt: str | None,
) -> list[MetaTag]:
    """A public or unlisted event (else nothing): its name, then when and where and its
    description."""
    if not previewable(obj):
        return []
    lead = " · ".join(part for part in (when, place) if part)
    body = plain_text(obj.content)
    image = own_media(image_url, base_url) if obj.is_local else None
    return tags(
        site=site,
        kind="article",
        title=name,
        description=f"{lead}. {body}" if lead and body else lead or body,
        url=url,
        image=image,
        image_alt=(image_alt or "") if image else "",
    )


# What the pages call: the request gives the instance's name, address and the language.


def actor_page_tags(request: web.Request, actor: ActorRow) -> list[MetaTag]:
    settings = request.app[SETTINGS]
    name = actor.name or actor.username
    title = name if actor.kind == "Group" else f"{name} (@{actor.username}@{settings.domain})"
    alt = translate(request, PICTURE_ALT) % {"name": one_line(name)}
    return for_actor(actor, site=settings.name, base_url=settings.base_url, title=title, picture_alt=alt)


def post_page_tags(request: web.Request, obj: ObjectRow, author_name: str, author_handle: str) -> list[MetaTag]:
    settings = request.app[SETTINGS]
    title = f"{author_name} ({author_handle})" if author_handle != author_name else author_name
    return for_post(obj, site=settings.name, base_url=settings.base_url, title=title, url=page_url(request, obj))


def page_url(request: web.Request, obj: ObjectRow) -> str:
    """The address of our page for a public or unlisted object (its own id when local)."""
    settings = request.app[SETTINGS]
    if obj.is_local and obj.ap_id.startswith(settings.base_url + "/"):
        return obj.ap_id
    return settings.base_url + post_path(obj.ap_id)


def event_page_tags(request: web.Request, obj: ObjectRow, event: EventFields, when: str) -> list[MetaTag]:
    settings = request.app[SETTINGS]
    town = " ".join(part for part in (event.postal_code, event.locality) if part)
    place = ", ".join(dict.fromkeys(part for part in (event.place_name, event.street_address, town) if part))
    return for_event(
        obj,
        site=settings.name,
        base_url=settings.base_url,
        name=event.name,
        when=when,
        place=place,
        url=page_url(request, obj),
        image_url=event.image_url,
        image_alt=event.image_alt,
    )


def poll_page_tags(request: web.Request, obj: ObjectRow, author: ActorRow | None) -> list[MetaTag]:
    if author is None:
        return post_page_tags(request, obj, obj.attributed_to, obj.attributed_to)
    return post_page_tags(request, obj, author.name or author.username, f"@{author.username}@{author.domain}")
