"""GET /objects/{uid} and /activities/{uid}: what our local ids dereference to.

Objects: the stored AS2 document when public or unlisted; 410 + Tombstone once deleted;
followers-only, members-only and direct objects answer 404 to AS2 clients (serving them
to a signed, addressed recipient is not done yet); a followers-only event or poll is shown
as a page to a signed-in reader who may see it (server.routes.pages_event_admin).
Activities (outgoing_activities): only those with Public in `to` or `cc`. Browsers get a
plain HTML page.
"""

from __future__ import annotations

import html

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.convert.to_as import (
    is_public_activity,
    object_document,
    tombstone_document,
    with_context,
)
from server.routes import pages_event_admin, pages_events, pages_polls
from server.routes.negotiation import (
    activity_response,
    html_response,
    negotiated_error,
    render_page,
    wants_activity_json,
)
from server.routes.pages_actors import post_page
from server.storage import objects as object_store
from server.urls import Urls

SERVED_VISIBILITIES = frozenset({"public", "unlisted"})
PAGE_LANGUAGE = "en"


async def get_object(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    ap_id = Urls(settings).object(request.match_info["uid"])
    obj = await object_store.object_by_ap_id(request.app[POOL], ap_id)
    if obj is None or not obj.is_local:
        return negotiated_error(request, 404, "not found")
    if obj.deleted_at is not None:
        if wants_activity_json(request):
            former = obj.type if obj.type != "Tombstone" else None
            return activity_response(tombstone_document(obj.ap_id, former_type=former, deleted=obj.deleted_at), 410)
        return negotiated_error(request, 410, "this post was deleted")
    if obj.visibility not in SERVED_VISIBILITIES:
        page = None if wants_activity_json(request) else await pages_event_admin.private_object_page(request, obj)
        return page if page is not None else negotiated_error(request, 404, "not found")
    if wants_activity_json(request):
        return activity_response(object_document(obj))
    if obj.type == "Event":
        return await pages_events.event_page(request, obj)
    if obj.type == "Question":
        return await pages_polls.poll_page(request, obj)
    return await post_page(request, obj)


async def get_activity(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    ap_id = Urls(settings).activity(request.match_info["uid"])
    document = await object_store.outgoing_activity_document(request.app[POOL], ap_id)
    if document is None or not is_public_activity(document):
        return negotiated_error(request, 404, "not found")
    if wants_activity_json(request):
        return activity_response(with_context(document))
    kind = str(document.get("type", "Activity"))
    body = f"<h1>{html.escape(kind)}</h1>\n<p>{html.escape(ap_id)}</p>"
    page = render_page(title=f"{kind} – {settings.name}", body_html=body, lang=PAGE_LANGUAGE, alternate=ap_id)
    return html_response(page)


def setup(app: web.Application) -> None:
    app.router.add_get("/objects/{uid}", get_object)
    app.router.add_get("/activities/{uid}", get_activity)
