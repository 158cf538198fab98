"""GET /actors/{name}, /actor (the instance actor) and /@{name}: the AS2 actor document to
ActivityPub clients, a plain HTML profile page to everyone else; 410 + Tombstone once gone."""

from __future__ import annotations

import orjson
from aiohttp import web

from server.actor_documents import Entry, LocalActorDocuments
from server.appkeys import POOL, SETTINGS
from server.coalescing import Coalescer
from server.convert.to_as import actor_document, area_place, tombstone_document
from server.routes.authorized_fetch import public_document
from server.routes.negotiation import (
    activity_body_response,
    activity_response,
    negotiated_error,
    wants_activity_json,
)
from server.routes.pages_actors import actor_page
from server.storage.actors import ActorDocumentRow
from server.urls import INSTANCE_ACTOR_USERNAME

PAGE_LANGUAGE = "en"
# Local actors by lower-cased username, checked against the database on each lookup;
# concurrent lookups share one query.
ACTOR_LOOKUP = web.AppKey("local_actor_lookup", Coalescer[str, Entry])


def render_document(app: web.Application, row: ActorDocumentRow) -> bytes:
    """A local actor's AS2 document, serialised."""
    place = None
    if row.actor.kind == "Group":  # a neighbourhood's area, as Update{Group} carries it
        place = area_place(row.area_name, orjson.loads(row.boundary_json) if row.boundary_json else None)
    return orjson.dumps(actor_document(row.actor, row.keys, app[SETTINGS], place=place))


async def serve_actor(request: web.Request, username: str) -> web.Response:
    as2 = wants_activity_json(request)
    entry = await request.app[ACTOR_LOOKUP].get(username.lower())
    if entry is None:
        return negotiated_error(request, 404, "no such actor")
    actor = entry.row.actor
    if actor.gone_at is not None:
        if as2:
            return activity_response(
                tombstone_document(actor.ap_id, former_type=actor.kind, deleted=actor.gone_at), 410
            )
        return negotiated_error(request, 410, "this account is gone")
    if as2:
        app = request.app
        return activity_body_response(entry.rendered("actor", lambda row: render_document(app, row)))
    if actor.moved_to:
        # Moved (docs/portability.md): a person following an old link lands on the new actor.
        raise web.HTTPFound(actor.moved_to)
    return await actor_page(request, actor)


@public_document
async def actor(request: web.Request) -> web.Response:
    return await serve_actor(request, request.match_info["name"])


@public_document
async def instance_actor(request: web.Request) -> web.Response:
    return await serve_actor(request, INSTANCE_ACTOR_USERNAME)


def setup(app: web.Application) -> None:
    documents = LocalActorDocuments(lambda: app[POOL])
    app[ACTOR_LOOKUP] = Coalescer(documents.fetch)
    app.router.add_get("/actors/{name}", actor)
    app.router.add_get("/@{name}", actor)
    app.router.add_get("/actor", instance_actor)
