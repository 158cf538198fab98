"""Lifting a neighbourhood ban from its manage page (POST /neighbourhoods/{name}/manage/unban):
for the neighbourhood's moderators only, like every organiser form
(server.routes.pages_organiser); the rules are in server.domain.ban_lift."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import POOL
from server.domain.ban_lift import lift_ban
from server.domain.membership import NotAllowed
from server.routes.pages_organiser import MAX_HANDLE, moderated_group
from server.storage import actors as actor_store
from server.web.access import federating
from server.web.forms import read_form
from server.web.templating import redirect


async def unban(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("member",))
    member = await actor_store.actor_by_ap_id(request.app[POOL], form.value("member")[:MAX_HANDLE])
    if member is None:
        raise web.HTTPNotFound(text="not banned from this neighbourhood")
    try:
        lifted = await lift_ban(federating(request), me, group, member)
    except NotAllowed:
        raise web.HTTPForbidden(text="moderators of this neighbourhood only") from None
    if not lifted:
        raise web.HTTPNotFound(text="not banned from this neighbourhood")
    raise redirect(f"/neighbourhoods/{group.username}/manage?unbanned=1")


def setup(app: web.Application) -> None:
    app.router.add_post("/neighbourhoods/{name}/manage/unban", unban)
