"""Search: people and neighbourhoods by name, posts by #tag; a signed-in resident's
`name@host` or URL is looked up on its server (WebFinger, then a signed fetch). The URL of
a public or unlisted post, or an event or poll, we do not have yet is fetched and stored
(server.handlers.lookup), and shown as a card linking to its page here."""

from __future__ import annotations

import re

from aiohttp import web

from server.appkeys import HTTP, KEYRING, POOL, REMOTE, SETTINGS
from server.domain import handles
from server.handlers.lookup import fetch_remote_object, remembered_id
from server.storage import actors as actor_store
from server.storage import instance_policy as policy_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.storage.readable import readable_object
from server.web.forms import N_
from server.web.sessions import current_actor
from server.web.templating import render

MAX_QUERY = 200
TAG_RE = re.compile(r"^#?([A-Za-z0-9_]{1,100})$")


async def remote_lookup(request: web.Request, query: str) -> ActorRow | None:
    """A handle or URL to an actor: our own from the database, others fetched."""
    settings = request.app[SETTINGS]
    text = query.removeprefix("@")
    if handles.looks_like_handle(text):
        name, _, host = text.rpartition("@")
        if host.lower() == settings.domain.lower():
            return await actor_store.local_actor(request.app[POOL], name)
        known = await actor_store.actor_by_handle(request.app[POOL], name, host)
        if known is not None:
            return known
        ap_id = await handles.actor_id_for_handle(request.app[HTTP], settings, text)
        return await request.app[REMOTE].actor(ap_id) if ap_id else None
    return await request.app[REMOTE].actor_at(query)


async def known_object(request: web.Request, query: str, reader_id: int | None) -> ObjectRow | None:
    """A post, event or poll this server already has at the URL `query` (its id, or a page
    URL remembered as followed to its id), when the reader may see it (its page is then one
    click away)."""
    if not query.startswith(("https://", "http://")):
        return None
    return await readable_object(request.app[POOL], remembered_id(request.app[SETTINGS], query), reader_id)


async def fetched_object(request: web.Request, query: str, reader_id: int | None) -> ObjectRow | None:
    """The post, event or poll at the URL `query` (its id, or a page its server answers
    with the object's id), fetched from its server and stored, when the reader may see it."""
    if not query.startswith(("https://", "http://")):
        return None
    app = request.app
    stored = await fetch_remote_object(app[POOL], app[SETTINGS], app[KEYRING], app[REMOTE], query)
    return await readable_object(app[POOL], stored.ap_id, reader_id) if stored is not None else None


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()[:MAX_QUERY]
    me = await current_actor(request)
    context: dict[str, object] = {"query": query, "actors": [], "posts": [], "tag": "", "message": "", "timezone": None}
    pool = request.app[POOL]
    is_address = handles.looks_like_handle(query.removeprefix("@")) or query.startswith(("https://", "http://"))
    tag = TAG_RE.match(query) if query.startswith("#") else None
    if not query:
        pass
    elif tag:
        context["tag"] = tag.group(1)
        context["posts"] = await web_reads.search_tag(pool, tag.group(1))
    elif is_address and me is None:
        context["message"] = N_("Log in to look up people and neighbourhoods on other servers.")
    elif is_address and (known := await known_object(request, query, me.id if me else None)) is not None:
        context["posts"] = await web_reads.with_authors(pool, [known])
    elif is_address:
        found = await remote_lookup(request, query)
        context["actors"] = [found] if found is not None and found.gone_at is None else []
        fetched = await fetched_object(request, query, me.id if me else None) if found is None else None
        if fetched is not None:
            context["posts"] = await web_reads.with_authors(pool, [fetched])
        elif found is None:
            context["message"] = N_("Nothing was found at that address.")
    else:
        context["actors"] = await web_reads.search_actors(pool, query, me.id if me else None)
    found_actors = context["actors"]
    ids = [a.id for a in found_actors] if isinstance(found_actors, list) else []
    context["limited_ids"] = await policy_store.limited_among(pool, ids) if ids else set()
    return render(request, "search.html", context)


def setup(app: web.Application) -> None:
    app.router.add_get("/search", search)
