"""The post page: a post with its attachments (alt text), its content warning as a
<details>, the thread around it (ancestors and replies, as far as the reader may see
them), like / boost / reply forms, edit and delete for its author and a report form
(sent to /report, server.routes.pages_moderation).

`/post?uri=<id>` shows any post the reader may see (followers-only, members-only and
direct ones too, to those they are for); `/objects/<uid>` shows public and unlisted local
posts through `post_page`. The thread comes from server.storage.threads, which applies
the shared visibility predicate to every post in it. A post by an actor on a *limited*
domain, which shared lists leave out, still shows here, with a note saying so."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import posts
from server.routes import pages_event_actions, pages_thread_locks
from server.storage import actors as actor_store
from server.storage import instance_policy as policy_store
from server.storage import objects as object_store
from server.storage import threads
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.storage.web_reads import PostView
from server.web import opengraph, post_lists
from server.web.access import federating, require_resident
from server.web.forms import N_, Form, read_form
from server.web.sessions import current_actor
from server.web.templating import redirect, render, render_error

MAX_URI = 2048
MAX_INDENT = 5
MAX_ROW_ID_DIGITS = 18  # below 2**63: a bigint
NOT_FOUND = N_("This post is not here, or you may not see it.")
NOTICES = {
    "liked": N_("You liked this post."),
    "boosted": N_("You boosted this post."),
    "unliked": N_("You no longer like this post."),
    "unboosted": N_("You no longer boost this post."),
    "edited": N_("Your post was changed."),
}


@dataclass(frozen=True)
class ThreadEntry:
    view: PostView
    indent: int  # 0 for direct replies, capped at MAX_INDENT


def row_id(text: str) -> int | None:
    """A row id from a query or form field (`before`, `up_to`), or None when it is not one."""
    return int(text) if text.isdigit() and len(text) <= MAX_ROW_ID_DIGITS else None


def post_path(request: web.Request, ap_id: str) -> str:
    """Our page for any post the reader may see."""
    return "/post?uri=" + quote(ap_id, safe="")


def page_path(request: web.Request, post: ObjectRow) -> str:
    """A public or unlisted local post's own path (/objects/uid), else `post_path`."""
    base = request.app[SETTINGS].base_url + "/objects/"
    if post.is_local and post.visibility in ("public", "unlisted") and post.ap_id.startswith(base):
        return post.ap_id.removeprefix(request.app[SETTINGS].base_url)
    return post_path(request, post.ap_id)


async def visible_post(request: web.Request, ap_id: str, viewer: ActorRow | None) -> ObjectRow | None:
    """The post `ap_id` when it exists, is not deleted and the viewer may read it."""
    if not ap_id or len(ap_id) > MAX_URI:
        return None
    thread = await threads.thread_of(request.app[POOL], ap_id, viewer.id if viewer else None)
    return next((row for row in thread if row.ap_id == ap_id), None)


async def views_of(request: web.Request, rows: list[ObjectRow]) -> dict[str, PostView]:
    """Each post with its author's display fields (one lookup per distinct author)."""
    authors: dict[str, ActorRow | None] = {}
    for row in rows:
        if row.attributed_to not in authors:
            authors[row.attributed_to] = await actor_store.actor_by_ap_id(request.app[POOL], row.attributed_to)
    views = {}
    for row in rows:
        author = authors[row.attributed_to]
        views[row.ap_id] = PostView(
            post=row,
            author_name=(author.name or author.username) if author else row.attributed_to,
            author_handle=f"@{author.username}@{author.domain}" if author else row.attributed_to,
            author_url=(author.url or author.ap_id) if author else row.attributed_to,
        )
    return views


def split_thread(thread: list[ObjectRow], focus: ObjectRow) -> tuple[list[ObjectRow], list[tuple[ObjectRow, int]]]:
    """(ancestors oldest first, replies in thread order with their depth below the focus)."""
    by_id = {row.ap_id: row for row in thread}
    ancestors: list[ObjectRow] = []
    parent = by_id.get(focus.in_reply_to or "")
    while parent is not None and parent not in ancestors:
        ancestors.insert(0, parent)
        parent = by_id.get(parent.in_reply_to or "")
    depth = {focus.ap_id: 0}
    replies: list[tuple[ObjectRow, int]] = []
    for row in thread:  # oldest first, so a parent comes before its replies
        if row.in_reply_to in depth and row.ap_id not in depth:
            depth[row.ap_id] = depth[row.in_reply_to] + 1
            replies.append((row, depth[row.ap_id]))
    return ancestors, replies


def attachments_of(post: ObjectRow) -> list[dict[str, Any]]:
    """Images of a post: http(s) URL, alt text (the `name`), width and height."""
    return post_lists.attachments_of(post)


async def show_post(
    request: web.Request, ap_id: str, *, forms: dict[str, Form] | None = None, status: int = 200
) -> web.Response:
    me = await current_actor(request)
    thread = await threads.thread_of(request.app[POOL], ap_id, me.id if me else None)
    focus = next((row for row in thread if row.ap_id == ap_id), None)
    if focus is None:
        return render_error(request, 404, NOT_FOUND)
    if focus.type in ("Event", "Question"):  # an event or poll has its own page, local or remote
        return await pages_event_actions.object_page(request, focus)
    ancestors, replies = split_thread(thread, focus)
    views = await views_of(request, thread)
    reactions = await object_store.reactions_of(request.app[POOL], ap_id)
    context: dict[str, Any] = {
        "view": views[ap_id],
        "ancestors": [views[row.ap_id] for row in ancestors],
        "replies": [ThreadEntry(views[row.ap_id], min(depth - 1, MAX_INDENT)) for row, depth in replies],
        "attachments_of": attachments_of,
        "post_path": lambda target: post_path(request, target),
        "likes": sum(1 for kind, _ in reactions if kind == "Like"),
        "boosts": sum(1 for kind, _ in reactions if kind == "Announce"),
        "my_reactions": {kind for kind, who in reactions if me is not None and who == me.ap_id},
        "is_author": me is not None and focus.is_local and focus.actor_id == me.id,
        "is_remote": not focus.is_local,
        "author_limited": not focus.is_local
        and focus.actor_id is not None
        and bool(await policy_store.limited_among(request.app[POOL], [focus.actor_id])),
        "timezone": None,
        "report_form": Form(),
        "delete_form": Form(),
        "alternate": ap_id if focus.is_local and focus.visibility in ("public", "unlisted") else None,
        "notice": NOTICES.get(request.query.get("done", ""), ""),
        "og": opengraph.post_page_tags(request, focus, views[ap_id].author_name, views[ap_id].author_handle),
    }
    context.update(await pages_thread_locks.lock_context(request, focus, me))
    context.update(forms or {})
    return render(request, "post_page.html", context, status=status, vary_accept=True)


async def post_page(request: web.Request, obj: ObjectRow) -> web.Response:
    """The HTML side of /objects/<uid> (public and unlisted local posts)."""
    return await show_post(request, obj.ap_id)


async def post_by_uri(request: web.Request) -> web.Response:
    uri = request.query.get("uri", "").strip()
    if len(uri) > MAX_URI:
        return render_error(request, 404, NOT_FOUND)
    return await show_post(request, uri)


async def _target(request: web.Request, names: tuple[str, ...] = ()) -> tuple[ActorRow, ObjectRow | None, Form]:
    """The signed-in resident, the post named in the form (None unless readable by them)
    and the form."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", *names))
    return me, await visible_post(request, form.value("uri").strip(), me), form


def back_to(request: web.Request, post: ObjectRow, done: str) -> web.HTTPSeeOther:
    path = page_path(request, post)
    return redirect(path + ("&" if "?" in path else "?") + "done=" + done)


async def react(request: web.Request, kind: str, done: str) -> web.Response:
    me, post, _ = await _target(request)
    if post is None:
        return render_error(request, 404, NOT_FOUND)
    try:
        await posts.react(federating(request), me, post.ap_id, kind)
    except posts.NotAllowed:
        return render_error(request, 400, "Only public and unlisted posts can be boosted.")
    raise back_to(request, post, done)


async def like(request: web.Request) -> web.Response:
    return await react(request, "Like", "liked")


async def boost(request: web.Request) -> web.Response:
    return await react(request, "Announce", "boosted")


async def delete(request: web.Request) -> web.Response:
    me, post, form = await _target(request, ("confirm",))
    if post is None:
        return render_error(request, 404, NOT_FOUND)
    if not (post.is_local and post.actor_id == me.id):
        return render_error(request, 403, "Only the author may change this post.")
    if form.value("confirm") != "yes":
        form.fail("confirm", "Tick the box to confirm that the post should be deleted.")
        return await show_post(request, post.ap_id, forms={"delete_form": form}, status=400)
    await posts.delete_note(federating(request), me, post.ap_id)
    raise redirect(f"/@{me.username}")


def setup(app: web.Application) -> None:
    app.router.add_get("/post", post_by_uri)
    app.router.add_post("/post/like", like)
    app.router.add_post("/post/boost", boost)
    app.router.add_post("/post/delete", delete)
