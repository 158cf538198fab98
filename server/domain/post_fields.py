"""The AS2 fields of a post beyond its content: title, content warning, language,
neighbourhood (`audience`), Mention and Hashtag tags, image attachments (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape as escape_html
from typing import Any

from server.storage.actors import ActorRow
from server.storage.media import MediaRow
from server.urls import Urls

MAX_SUMMARY = 500
MAX_TITLE = 300
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}")


@dataclass(frozen=True)
class PostOptions:
    """What a post may carry beyond its content. `title` makes it an Article; `summary`
    is a content warning (plain text); `neighbourhood` (a Group id) is the `audience`,
    and whose members a members-only post is for; `hashtags` are normalised names."""

    title: str | None = None
    summary: str | None = None
    sensitive: bool = False
    language: str | None = None
    hashtags: tuple[str, ...] = ()
    neighbourhood: str | None = None
    media_ids: tuple[int, ...] = ()


def is_language_tag(value: str) -> bool:
    return bool(_LANGUAGE.fullmatch(value))


def mention_tag(actor: ActorRow) -> dict[str, str]:
    return {"type": "Mention", "href": actor.ap_id, "name": f"@{actor.username}@{actor.domain}"}


def hashtag_tag(urls: Urls, name: str) -> dict[str, str]:
    return {"type": "Hashtag", "href": urls.tag(name), "name": f"#{name}"}


def attachment(urls: Urls, medium: MediaRow) -> dict[str, Any]:
    return {
        "type": "Image",
        "mediaType": medium.media_type,
        "url": urls.media(medium.file_name),
        "name": medium.alt_text,
        "width": medium.width,
        "height": medium.height,
    }


def option_fields(urls: Urls, html: str, options: PostOptions, media: list[MediaRow]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if options.title:
        fields["name"] = " ".join(options.title.split())[:MAX_TITLE]
    if options.summary and options.summary.strip():
        # plain text; receivers read `summary` as HTML, so it goes out escaped
        fields["summary"] = escape_html(options.summary.strip()[:MAX_SUMMARY], quote=False)
        fields["sensitive"] = True
    elif options.sensitive:
        fields["sensitive"] = True
    if options.language:
        if not is_language_tag(options.language):
            raise ValueError("language must be a language tag such as nl or en-GB")
        fields["contentMap"] = {options.language: html}
    if options.neighbourhood:
        fields["audience"] = options.neighbourhood
    if media:
        fields["attachment"] = [attachment(urls, m) for m in media]
    return fields
