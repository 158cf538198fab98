"""Profile and neighbourhood pages (the HTML side of /@name and /actors/name), the post
page (the HTML side of /objects/uid), following from the web both ways, and
/authorize_interaction (our subscribe template)."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import HTTP, POOL, REMOTE, SETTINGS
from server.domain import follows, handles, membership
from server.routes import pages_events, pages_organiser, pages_posts
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.web import opengraph
from server.web.access import federating, require_resident, safe_next
from server.web.forms import Form, read_form
from server.web.sessions import current_actor
from server.web.templating import redirect, render, render_error

MAX_TARGET = 2048


async def actor_page(
    request: web.Request, actor: ActorRow, form: Form | None = None, status: int = 200
) -> web.Response:
    """A neighbourhood page (Group) or a resident's profile, with follow controls."""
    pool = request.app[POOL]
    settings = request.app[SETTINGS]
    me = await current_actor(request)
    neighbourhood = await web_reads.neighbourhood_of(pool, actor.id) if actor.kind == "Group" else None
    posts = (
        await web_reads.neighbourhood_posts(pool, actor)
        if neighbourhood
        else await web_reads.public_posts_of(pool, actor.id)
    )
    follow_state = await follow_store.follow_state(pool, me.id, actor.id) if me else None
    context = {
        "actor": actor,
        "handle": f"@{actor.username}@{settings.domain}",
        "neighbourhood": neighbourhood,
        "posts": posts,
        "timezone": neighbourhood.timezone if neighbourhood else None,
        "follow_state": follow_state,
        "form": form or Form(),
        "actor_path": f"/@{actor.username}",
        "alternate": actor.ap_id,
        "og": opengraph.actor_page_tags(request, actor),
        **await pages_events.actor_extras(request, actor, neighbourhood is not None),
        **await pages_organiser.neighbourhood_extras(request, actor, neighbourhood is not None),
    }
    return render(request, "actor.html", context, status=status, vary_accept=True)


async def post_page(request: web.Request, obj: ObjectRow) -> web.Response:
    """A public or unlisted post with its thread (server.routes.pages_posts)."""
    return await pages_posts.post_page(request, obj)


async def _target(request: web.Request, form: Form) -> ActorRow | None:
    target = form.value("target").strip()
    if not target or len(target) > MAX_TARGET:
        return None
    return await request.app[REMOTE].actor(target)


async def follow(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("target",))
    target = await _target(request, form)
    if target is None or target.id == me.id or target.gone_at is not None:
        return render_error(request, 404, "We could not find who you want to follow.")
    try:
        if target.kind == "Group" and target.is_local:  # our neighbourhood: a request to join
            await membership.join(federating(request), me, target)
        else:
            await follows.follow(federating(request), me, target.ap_id)
    except follows.UnknownActor:
        return render_error(request, 404, "We could not find who you want to follow.")
    raise redirect(local_path_of(request, target))


async def unfollow(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("target",))
    target = await actor_store.actor_by_ap_id(request.app[POOL], form.value("target")[:MAX_TARGET])
    if target is None:
        return render_error(request, 404, "We could not find who you want to follow.")
    await follows.unfollow(federating(request), me, target)
    raise redirect(local_path_of(request, target))


def local_path_of(request: web.Request, target: ActorRow) -> str:
    """Our page for `target`: its profile when local, the search result when remote."""
    if target.is_local:
        return f"/@{target.username}"
    return safe_next(f"/search?q=%40{target.username}%40{target.domain}", "/home")


async def remote_follow(request: web.Request) -> web.Response:
    """A visitor gives their own handle: off to their server's subscribe page."""
    form = await read_form(request, ("target", "handle"))
    target = await actor_store.actor_by_ap_id(request.app[POOL], form.value("target")[:MAX_TARGET])
    if target is None or not target.is_local or target.gone_at is not None:
        return render_error(request, 404, "We could not find who you want to follow.")
    handle = form.require("handle", "Enter your handle, like alex@example.social.")
    if handle and not handles.looks_like_handle(handle):
        form.fail("handle", "Enter your handle, like alex@example.social.")
    url = None
    if form.is_valid:
        url = await handles.subscribe_url(request.app[HTTP], request.app[SETTINGS], handle, target.ap_id)
        if url is None:
            form.fail(
                "handle",
                "Your server could not be asked. Check the handle, "
                "or follow from your server by searching for this address.",
            )
    if url is None:
        return await actor_page(request, target, form, status=400)
    raise redirect(url)


async def authorize_interaction(request: web.Request) -> web.Response:
    """Our subscribe template: a signed-in resident confirms following `uri`."""
    await require_resident(request)
    uri = request.query.get("uri", "").strip()[:MAX_TARGET]
    ap_id: str | None = uri if uri.startswith(("https://", "http://")) else None
    if ap_id is None and handles.looks_like_handle(uri):
        ap_id = await handles.actor_id_for_handle(request.app[HTTP], request.app[SETTINGS], uri)
    target = await request.app[REMOTE].actor(ap_id) if ap_id else None
    if target is None or target.gone_at is not None:
        return render_error(request, 404, "We could not find who you want to follow.")
    me = await current_actor(request)
    assert me is not None
    state = await follow_store.follow_state(request.app[POOL], me.id, target.id)
    return render(request, "authorize.html", {"target": target, "follow_state": state})


def setup(app: web.Application) -> None:
    app.router.add_post("/follow", follow)
    app.router.add_post("/unfollow", unfollow)
    app.router.add_post("/remote-follow", remote_follow)
    app.router.add_get("/authorize_interaction", authorize_interaction)
