"""A neighbourhood's archive as a download, for its admins (the founder and anyone given the
admin role) and for instance administrators: the button on its manage page
(server.portability.export; the format is in docs/portability.md)."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.portability import export
from server.routes.pages_organiser import moderated_group
from server.storage import memberships as membership_store
from server.web.access import require_account


async def export_neighbourhood(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    account = await require_account(request)
    row = await membership_store.membership(request.app[POOL], group.id, me.id)
    if not account.is_admin and (row is None or row.role != "admin"):
        raise web.HTTPForbidden(text="the neighbourhood's admins only")
    archive = await export.export_neighbourhood(request.app[POOL], request.app[SETTINGS], group.username)
    headers = {
        "Content-Disposition": f'attachment; filename="{group.username}-buurtplein-neighbourhood.tar.gz"',
        "Cache-Control": "no-store",
    }
    return web.Response(body=archive, content_type="application/gzip", headers=headers)


def setup(app: web.Application) -> None:
    app.router.add_post("/neighbourhoods/{name}/manage/export", export_neighbourhood)
