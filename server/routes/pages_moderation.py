"""Moderation pages: a resident reports a post they can see; a neighbourhood's moderators
see its queue of posts waiting for approval, its open reports (and resolve them), remove
its posts and read its moderation log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.appkeys import POOL
from server.domain import moderation
from server.routes.pages_organiser import moderated_group
from server.storage import instance_policy, moderation_views
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow, actor_by_id
from server.storage.objects import ObjectRow
from server.storage.reported_posts import reported_posts
from server.web.access import federating, require_resident
from server.web.forms import N_, Form, read_form
from server.web.templating import redirect, render

MAX_ID = 2048
MAX_REASON = 2000


async def moderation_page(request: web.Request) -> web.Response:
    me, group, hood = await moderated_group(request)
    pool = request.app[POOL]
    notice = N_("Thank you: the report is resolved.") if "resolved" in request.query else ""
    reports = await moderation_views.open_reports(pool, group_id=group.id)
    context = {
        "group": group,
        "hood": hood,
        "queue": await moderation_views.queued_posts(pool, group.id),
        "reports": reports,
        "reported": await reported_posts(pool, [t for r in reports for t in r.target_ids], me.id),
        "log": await moderation_views.log_entries(pool, group_id=group.id),
        "notice": notice,
    }
    return render(request, "moderation_group.html", context)


async def decide_queued(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("object", "decision"))
    if form.value("decision") not in ("approve", "reject"):
        raise web.HTTPBadRequest(text="decision must be approve or reject")
    approve = form.value("decision") == "approve"
    await moderation.decide_queued_post(federating(request), me, group, form.value("object")[:MAX_ID], approve=approve)
    raise redirect(f"/neighbourhoods/{group.username}/moderation")


async def remove_post(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("object", "reason", "report"))
    object_id = form.value("object")[:MAX_ID]
    if await neighbourhood_store.group_post(request.app[POOL], group.id, object_id) is None:
        raise web.HTTPNotFound(text="this post does not belong to this neighbourhood")
    await moderation.remove_post(federating(request), me, group, object_id, form.value("reason")[:MAX_REASON])
    if form.value("report").isdigit():
        await moderation_views.resolve_report(request.app[POOL], int(form.value("report")), me.id, group_id=group.id)
    raise redirect(f"/neighbourhoods/{group.username}/moderation")


async def resolve(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("report",))
    if not form.value("report").isdigit():
        raise web.HTTPBadRequest(text="which report?")
    found = await moderation_views.resolve_report(
        request.app[POOL], int(form.value("report")), me.id, group_id=group.id
    )
    if found is None:
        raise web.HTTPNotFound(text="no such open report in this neighbourhood")
    await instance_policy.log_action(request.app[POOL], me.id, "resolve_report", found, group_id=group.id)
    raise redirect(f"/neighbourhoods/{group.username}/moderation?resolved=1")


# --- a resident reports a post -------------------------------------------------------------


async def reportable(request: web.Request, me: ActorRow, object_id: str) -> ObjectRow:
    """The post, when this resident may see it (else 404: reporting reveals nothing)."""
    post = await moderation_views.visible_object(request.app[POOL], object_id[:MAX_ID], me.id)
    if post is None or post.type == "Tombstone":
        raise web.HTTPNotFound(text="no such post")
    return post


async def report_context(request: web.Request, post: ObjectRow, form: Form) -> dict[str, Any]:
    author = await actor_by_id(request.app[POOL], post.actor_id) if post.actor_id else None
    return {"post": post, "author": author, "form": form}


async def report_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    post = await reportable(request, me, request.query.get("object", ""))
    form = Form(values={"object": post.ap_id})
    return render(request, "moderation_report.html", await report_context(request, post, form))


async def send_report(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("object", "content", "forward"))
    post = await reportable(request, me, form.value("object"))
    form.require("content", N_("Tell the moderators what is wrong with this post."))
    form.limit("content", moderation.MAX_REPORT, N_("Use at most 5000 characters."))
    if not form.is_valid:
        return render(request, "moderation_report.html", await report_context(request, post, form), status=400)
    pool = request.app[POOL]
    groups = await neighbourhood_store.groups_of_object(pool, post.ap_id)
    local = [row for row in [await actor_by_id(pool, g) for g in groups] if row is not None and row.is_local]
    await moderation.report(
        federating(request),
        me,
        [post.ap_id],
        form.value("content").strip(),
        group=local[0] if local else None,
        forward=form.value("forward") == "1" and not post.is_local,
    )
    return render(request, "moderation_reported.html", {"post": post})


def setup(app: web.Application) -> None:
    app.router.add_get("/report", report_page)
    app.router.add_post("/report", send_report)
    app.router.add_get("/neighbourhoods/{name}/moderation", moderation_page)
    app.router.add_post("/neighbourhoods/{name}/moderation/queue", decide_queued)
    app.router.add_post("/neighbourhoods/{name}/moderation/remove", remove_post)
    app.router.add_post("/neighbourhoods/{name}/moderation/resolve", resolve)
