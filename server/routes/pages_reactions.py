"""Taking back a like or a boost from the post page (POST /post/unlike, /post/unboost):
plain forms with a CSRF token, so they work without JavaScript; the Undo federates
(server.domain.undo_reactions). The like and boost buttons themselves are in
server.routes.pages_posts; the post page shows the button that fits."""

from __future__ import annotations

from aiohttp import web

from server.domain.undo_reactions import undo_reaction
from server.routes.pages_posts import NOT_FOUND, back_to, visible_post
from server.web.access import federating, require_resident
from server.web.forms import read_form
from server.web.templating import render_error


async def _undo(request: web.Request, kind: str, done: str) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("uri",))
    post = await visible_post(request, form.value("uri").strip(), me)
    if post is None:
        return render_error(request, 404, NOT_FOUND)
    await undo_reaction(federating(request), me, post.ap_id, kind)  # nothing to undo: the same page
    raise back_to(request, post, done)


async def unlike(request: web.Request) -> web.Response:
    return await _undo(request, "Like", "unliked")


async def unboost(request: web.Request) -> web.Response:
    return await _undo(request, "Announce", "unboosted")


def setup(app: web.Application) -> None:
    app.router.add_post("/post/unlike", unlike)
    app.router.add_post("/post/unboost", unboost)
