"""What a page needs to show a post in a list (timeline, profile, neighbourhood, search,
tag, thread): its images (URL, alt text, width and height, read from the post's own AS2
`attachment`, which the list's one query already fetched) and the path of our page for it
(`/post?uri=…`, which serves each post to exactly those who may read it). Installed as
template globals (`attachments_of`, `post_path`) by `server.web.templating`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jinja2 import Environment

from server.storage.objects import ObjectRow

MAX_IMAGES = 4
MAX_SIDE = 100_000


def post_path(ap_id: str) -> str:
    """Our page for any post, event or poll the reader may see."""
    return "/post?uri=" + quote(ap_id, safe="")


def page_path(post: ObjectRow, base_url: str) -> str:
    """Where a form on a post's page goes back to: a public or unlisted local object's own
    path (`/objects/<uid>`), else `post_path`."""
    if post.is_local and post.visibility in ("public", "unlisted") and post.ap_id.startswith(base_url + "/objects/"):
        return post.ap_id.removeprefix(base_url)
    return post_path(post.ap_id)


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_SIDE else None


def attachments_of(post: ObjectRow, base_url: str = "") -> list[dict[str, Any]]:
    """The post's images (at most MAX_IMAGES): http(s) URL (a path for our own media),
    alt text (`name`), width and height when the document gives them (else None)."""
    found: list[dict[str, Any]] = []
    attachments = (post.document or {}).get("attachment") or []
    for item in attachments if isinstance(attachments, list) else [attachments]:
        if not isinstance(item, dict) or len(found) >= MAX_IMAGES:
            continue
        url = item.get("url")
        url = url.get("href") if isinstance(url, dict) else url
        media_type = str(item.get("mediaType") or "")
        if not (isinstance(url, str) and url.startswith(("https://", "http://")) and media_type.startswith("image/")):
            continue
        if base_url and url.startswith(base_url + "/media/"):
            url = url.removeprefix(base_url)
        name = item.get("name")
        found.append(
            {
                "url": url,
                "alt": name if isinstance(name, str) else "",
                "width": _size(item.get("width")),
                "height": _size(item.get("height")),
            }
        )
    return found


def install(env: Environment, base_url: str) -> None:
    """Make `attachments_of(post)` and `post_path(ap_id)` available to every template."""

    def attachments(post: ObjectRow) -> list[dict[str, Any]]:
        return attachments_of(post, base_url)

    env.globals["attachments_of"] = attachments
    env.globals["post_path"] = post_path
