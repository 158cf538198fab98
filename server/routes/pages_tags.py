"""Tag pages: /tags/{name} lists the public posts carrying the hashtag (never unlisted,
followers-only, members-only or direct ones), newest first, with the tag's Atom and RSS
feeds as `<link rel="alternate">`."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.feeds import feed_links
from server.domain.post_text import is_tag_name, normalise_tag
from server.routes.pages_posts import attachments_of, post_path, row_id, views_of
from server.storage import tags as tag_store
from server.urls import Urls
from server.web.sessions import current_actor
from server.web.templating import render, render_error

PAGE_SIZE = 20
MAX_TAG_INPUT = 200


async def tag_page(request: web.Request) -> web.Response:
    await current_actor(request)
    raw = request.match_info["name"][:MAX_TAG_INPUT]
    name = normalise_tag(raw)
    if not is_tag_name(name):
        return render_error(request, 404, "There is no such tag.")
    before = row_id(request.query.get("before", ""))
    rows = await tag_store.public_posts_with_tag(request.app[POOL], name, limit=PAGE_SIZE, before=before)
    views = await views_of(request, rows)
    context = {
        "tag": name,
        "posts": [views[row.ap_id] for row in rows],
        "attachments_of": attachments_of,
        "post_path": lambda ap_id: post_path(request, ap_id),
        "older": rows[-1].id if len(rows) == PAGE_SIZE else None,
        "feeds": feed_links(Urls(request.app[SETTINGS]), f"tags/{name}", f"#{name}"),
        "timezone": None,
    }
    return render(request, "tag.html", context)


def setup(app: web.Application) -> None:
    app.router.add_get("/tags/{name}", tag_page)
