"""GET /embed/neighbourhoods/{name}/{events|posts}: a script-free page to show in an
`<iframe>` on any website (`frame-ancestors *`), or with `?format=fragment` the same list
as a bare HTML fragment. Public content only; a hidden neighbourhood answers 404.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.embeds import event_items, post_items, render_fragment, render_page
from server.storage import calendar_events as event_store
from server.storage import feeds as feed_store
from server.storage.calendar_events import EventScope, EventWindow
from server.storage.feeds import PostScope

EMBED_ITEMS = 10
EMBED_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *; base-uri 'none'; form-action 'none'"
EMBED_HEADERS = {
    "Content-Security-Policy": EMBED_CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
}


async def embed(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    found = await feed_store.public_neighbourhood(pool, request.match_info["name"])
    if found is None:
        return web.Response(status=404, text="Not found", headers=EMBED_HEADERS)
    kind = request.match_info["kind"]
    if kind == "events":
        window = EventWindow(ends_after=datetime.now(UTC) - timedelta(hours=6))
        rows = await event_store.public_events(pool, EventScope(neighbourhood_id=found.actor_id), window, EMBED_ITEMS)
        items, empty, title = event_items(rows, found.timezone), "Geen activiteiten gepland.", "Agenda"
    else:
        posts = await feed_store.public_posts(pool, PostScope(neighbourhood_id=found.actor_id), EMBED_ITEMS)
        items, empty, title = post_items(posts, found.timezone), "Nog geen berichten.", "Berichten"
    heading = f"{title} — {found.name or found.username}"
    fragment = render_fragment(heading, found.url, items, empty)
    if request.query.get("format") == "fragment":
        return web.Response(text=fragment, content_type="text/html", headers=EMBED_HEADERS)
    name = request.app[SETTINGS].name
    return web.Response(
        text=render_page(f"{heading} ({name})", fragment), content_type="text/html", headers=EMBED_HEADERS
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/embed/neighbourhoods/{name}/{kind:events|posts}", embed)
