"""GET /actors/{name}, /actor (the instance actor) and /@{name}: the AS2 actor document to
ActivityPub clients, a plain HTML profile page to everyone else; 410 + Tombstone once gone."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from aiohttp import web

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
from server.storage import actors as actor_store
from server.storage.actors import ActorRow, PublicKeyRow
from server.urls import INSTANCE_ACTOR_USERNAME

PAGE_LANGUAGE = "en"
MAX_RENDERED = 2048
# Rendered actor documents keyed by everything they are made of (the actor row and its
# keys; one app has one Settings): a changed row is a new key, so nothing goes stale, and
# each request still reads the row (one round trip) but skips building and serialising.
RENDERED = web.AppKey("rendered_actor_documents", dict)
# Local actors by lower-cased username; concurrent lookups share one query.
ACTOR_LOOKUP = web.AppKey("local_actor_lookup", Coalescer[str, actor_store.ActorDocumentRow])


def rendered_document(
    app: web.Application,
    actor: ActorRow,
    keys: Sequence[PublicKeyRow],
    area_name: str = "",
    boundary_json: str | None = None,
) -> bytes:
    cache: dict[tuple[ActorRow, tuple[PublicKeyRow, ...], str, str | None], bytes] = app[RENDERED]
    key = (actor, tuple(keys), area_name, boundary_json)
    body = cache.get(key)
    if body is None:
        if len(cache) >= MAX_RENDERED:
            cache.clear()
        place = None
        if actor.kind == "Group":  # a neighbourhood's area, as Update{Group} carries it
            place = area_place(area_name, orjson.loads(boundary_json) if boundary_json else None)
        body = cache[key] = orjson.dumps(actor_document(actor, keys, app[SETTINGS], place=place))
    return body


async def serve_actor(request: web.Request, username: str) -> web.Response:
    as2 = wants_activity_json(request)
    found = await request.app[ACTOR_LOOKUP].get(username.lower())
    if found is None:
        return negotiated_error(request, 404, "no such actor")
    actor, public_keys, area_name, boundary_json = found
    if actor.gone_at is not None:
        if as2:
            return activity_response(
                tombstone_document(actor.ap_id, former_type=actor.kind, deleted=actor.gone_at), 410
            )
        return negotiated_error(request, 410, "this account is gone")
    if as2:
        return activity_body_response(rendered_document(request.app, actor, public_keys, area_name, boundary_json))
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
    app[RENDERED] = {}
    app[ACTOR_LOOKUP] = Coalescer(lambda names: actor_store.local_actors_for_document(app[POOL], names))
    app.router.add_get("/actors/{name}", actor)
    app.router.add_get("/@{name}", actor)
    app.router.add_get("/actor", instance_actor)
