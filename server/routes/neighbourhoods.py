"""GET /actors/{name}/moderators: a neighbourhood's moderators (FEP-1b12 `attributedTo`),
and GET /objects/{uid}/activity: the Create of a local post as it was sent, with its
proof, so that a group's follower can fetch an announced Create from its origin."""

from __future__ import annotations

from aiohttp import web

from activitypub.collections import build_ordered_collection
from server.appkeys import POOL, SETTINGS
from server.convert.to_as import is_public_activity, with_context
from server.routes.authorized_fetch import as2_only
from server.routes.negotiation import activity_error, activity_response
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage import objects as object_store
from server.urls import Urls

MAX_LISTED = 1000


@as2_only
async def moderators(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    group = await actor_store.local_actor(pool, request.match_info["name"])
    if group is None or group.kind != "Group" or group.gone_at is not None:
        return activity_error(404, "no such neighbourhood")
    listed = (await membership_store.moderator_ids(pool, group.id))[:MAX_LISTED]
    urls = Urls(request.app[SETTINGS])
    return activity_response(
        build_ordered_collection(urls.moderators(group.username), total_items=len(listed), items=listed)
    )


@as2_only
async def create_activity(request: web.Request) -> web.Response:
    """Only public or unlisted Creates of posts that still exist are served."""
    pool = request.app[POOL]
    object_id = Urls(request.app[SETTINGS]).object(request.match_info["uid"])
    post = await object_store.object_by_ap_id(pool, object_id)
    if post is None or not post.is_local or post.deleted_at is not None:
        return activity_error(404, "not found")
    document = await object_store.outgoing_activity_document(pool, object_id + "/activity")
    if document is None or not is_public_activity(document):
        return activity_error(404, "not found")
    return activity_response(with_context(document))


def setup(app: web.Application) -> None:
    app.router.add_get("/actors/{name}/moderators", moderators)
    app.router.add_get("/objects/{uid}/activity", create_activity)
