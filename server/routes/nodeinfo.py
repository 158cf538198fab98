"""GET /.well-known/nodeinfo, /nodeinfo/2.0 and /nodeinfo/2.1 with counts from the database.

Users are local, not-gone `Person` actors (residents). There is no login tracking yet, so
"active" in the last 30 / 180 days means: created, or published a local object, in that
window. localPosts counts local objects not deleted. `metadata.neighbourhoods` lists every
local neighbourhood (`Group`) as {name, url}.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

from aiohttp import web

from activitypub.nodeinfo import Usage, build_nodeinfo, build_nodeinfo_links, media_type
from server.appkeys import POOL, SETTINGS
from server.routes.negotiation import json_body_response
from server.storage import actors as actor_store
from server.urls import INSTANCE_ACTOR_USERNAME, Urls

CORS = {"Access-Control-Allow-Origin": "*"}
VERSIONS = ("2.0", "2.1")


@lru_cache(maxsize=1)
def software_version() -> str:
    try:
        return metadata.version("buurtplein")
    except metadata.PackageNotFoundError:
        return "0.0.0"


async def discovery(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    doc = build_nodeinfo_links(
        nodeinfo_20_url=f"{settings.base_url}/nodeinfo/2.0",
        nodeinfo_21_url=f"{settings.base_url}/nodeinfo/2.1",
        instance_actor_url=Urls(settings).actor(INSTANCE_ACTOR_USERNAME),
    )
    return json_body_response(doc, "application/json", headers=CORS)


async def nodeinfo(request: web.Request) -> web.Response:
    version = request.match_info["version"]
    if version not in VERSIONS:
        raise web.HTTPNotFound()
    settings, pool = request.app[SETTINGS], request.app[POOL]
    counts = await actor_store.local_usage_counts(pool)
    groups = await actor_store.list_local_actors(pool, "Group")
    doc = build_nodeinfo(
        version,
        software_version=software_version(),
        usage=Usage(
            users_total=counts.users_total,
            users_active_month=counts.users_active_month,
            users_active_halfyear=counts.users_active_halfyear,
            local_posts=counts.local_posts,
        ),
        open_registrations=settings.registration_mode == "open",
        node_name=settings.name,
    )
    # activitypub.nodeinfo takes names only; we publish each neighbourhood's name and URL
    doc["metadata"]["neighbourhoods"] = [
        {"name": g.name or g.username, "url": g.url or g.ap_id} for g in groups if g.gone_at is None
    ]
    return json_body_response(doc, f"{media_type(version)}; charset=utf-8", headers=CORS)


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/nodeinfo", discovery)
    app.router.add_get("/nodeinfo/{version}", nodeinfo)
