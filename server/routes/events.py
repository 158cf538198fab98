"""GET /objects/{uid}/attendees: who comes to a local event.

An OrderedCollection whose `totalItems` (the number going) anyone who may see the event
may read; the names (`orderedItems`, actor ids of those going) only the organiser sees:
signed in (web session), or through a request signed with the organiser's key.
Residents' attendance is private by default. Deleted events answer 410, events that are not public or unlisted 404.
"""

from __future__ import annotations

import copy

from aiohttp import web

from activitypub import terms
from server.appkeys import POOL, SETTINGS
from server.domain.events import attendee_names
from server.routes.authorized_fetch import SIGNED_BY, as2_only, is_signed, verified_owner
from server.routes.negotiation import activity_error, activity_response
from server.storage import events as event_store
from server.urls import Urls
from server.web.sessions import current_actor

SERVED_VISIBILITIES = frozenset({"public", "unlisted"})


async def _viewer(request: web.Request) -> str | None:
    """The signed-in actor, or the actor whose valid signature is on the request."""
    actor = await current_actor(request)
    if actor is not None:
        return actor.ap_id
    if SIGNED_BY in request:
        return request[SIGNED_BY]
    return await verified_owner(request) if is_signed(request) else None


@as2_only
async def attendees(request: web.Request) -> web.Response:
    urls = Urls(request.app[SETTINGS])
    event_ap_id = urls.object(request.match_info["uid"])
    pool = request.app[POOL]
    event = await event_store.event_by_ap_id(pool, event_ap_id)
    if event is None or not event.is_local:
        return activity_error(404, "no such event")
    if event.deleted_at is not None:
        return activity_error(410, "this event was deleted")
    if event.visibility not in SERVED_VISIBILITIES:
        return activity_error(404, "no such event")
    counts = await event_store.attendee_counts(pool, event.object_id)
    document = {
        "@context": copy.deepcopy(terms.OUR_CONTEXT),
        "id": event_ap_id + "/attendees",
        "type": "OrderedCollection",
        "totalItems": counts["going"],
    }
    names = await attendee_names(pool, event, await _viewer(request))
    if names is not None:
        document["orderedItems"] = names
    return activity_response(document, headers={"Cache-Control": "private, no-store"})


def setup(app: web.Application) -> None:
    app.router.add_get("/objects/{uid}/attendees", attendees)
