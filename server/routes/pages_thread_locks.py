"""Locking a thread from its post page (POST /post/lock and /post/unlock, with the CSRF
token like every form): for the moderators of our neighbourhood the post belongs to, and
for our residents who moderate the remote neighbourhood it belongs to (their Lock is sent
to that group and applies when the group announces it back). The post page asks
`lock_context` whether the post is locked (then it says so and shows no reply form) and
which of the reader's neighbourhoods may lock or unlock it. The rules are in
server.domain.thread_locks and server.domain.remote_thread_locks."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from server.appkeys import POOL
from server.domain.membership import NotAllowed
from server.domain.remote_thread_locks import lockable_remote_groups, send_lock, send_unlock
from server.domain.thread_locks import lock_thread, unlock_thread
from server.storage import actors as actor_store
from server.storage import group_federation as group_store
from server.storage import thread_locks as lock_store
from server.storage import threads
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.web.access import federating, require_resident
from server.web.forms import N_, read_form
from server.web.templating import redirect, render_error

MAX_URI = 2048
LOCKED_REPLY = N_("This conversation is locked by the neighbourhood's moderators: no new replies.")
NOTICES = {
    "locked": N_("The conversation is locked: nobody can reply to this post any more."),
    "unlocked": N_("The conversation is open again: residents can reply to this post."),
    "lock_sent": N_(
        "Your lock was sent to the neighbourhood's server. The conversation shows as locked "
        "once the neighbourhood confirms it."
    ),
    "unlock_sent": N_(
        "Your unlock was sent to the neighbourhood's server. The conversation opens again "
        "once the neighbourhood confirms it."
    ),
}
NOT_MODERATOR = N_("Only the moderators of this post's neighbourhood can lock or unlock it.")


async def lock_context(request: web.Request, post: ObjectRow, me: ActorRow | None) -> dict[str, Any]:
    """For the post page: `locked` (the lock on this post, or None), `thread_locked` (this
    post or one it replies to is locked: no reply form), `lock_groups` (the
    neighbourhoods the reader moderates that the post is in: a username for ours, the ap_id
    for a remote one), and a notice after a change."""
    pool = request.app[POOL]
    lock = await lock_store.lock_of(pool, post.ap_id)
    moderated = dict(await lock_store.moderated_groups_of_object(pool, post.ap_id, me.id)) if me else {}
    if me is not None and post.in_reply_to is None:  # a remote group (Lemmy) locks posts, not replies
        moderated.update(await lockable_remote_groups(federating(request), post.ap_id, me))
    context: dict[str, Any] = {
        "locked": lock,
        "thread_locked": lock is not None or await group_store.is_locked(pool, post.ap_id),
        "lock_groups": list(moderated.values()),
        # the reader's neighbourhood that holds the lock: its moderators may lift it
        "lock_group_of_lock": moderated.get(lock.group_id) if lock is not None else None,
    }
    done = request.query.get("done", "")
    if done in NOTICES:
        context["notice"] = NOTICES[done]
    return context


async def _change(request: web.Request, *, lock: bool) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("uri", "group", "reason"))
    uri = form.value("uri")[:MAX_URI]
    thread = await threads.thread_of(request.app[POOL], uri, me.id) if uri else []
    if not any(row.ap_id == uri for row in thread):
        return render_error(request, 404, N_("This post is not here, or you may not see it."))
    named = form.value("group")
    group = (
        await actor_store.actor_by_ap_id(request.app[POOL], named[:MAX_URI])
        if named.startswith(("https://", "http://"))
        else await actor_store.local_actor(request.app[POOL], named[:100])
    )
    if group is None or group.kind != "Group":
        return render_error(request, 403, NOT_MODERATOR)
    fed, reason = federating(request), form.value("reason").strip()
    try:
        if group.is_local:
            await (lock_thread(fed, me, group, uri, reason) if lock else unlock_thread(fed, me, group, uri))
            done = "locked" if lock else "unlocked"
        elif lock:
            done = "lock_sent" if await send_lock(fed, me, group, uri, reason) else "locked"
        else:
            done = "unlock_sent" if await send_unlock(fed, me, group, uri) else "unlocked"
    except NotAllowed:
        return render_error(request, 403, NOT_MODERATOR)
    raise redirect("/post?uri=" + quote(uri, safe="") + "&done=" + done)


async def lock(request: web.Request) -> web.Response:
    return await _change(request, lock=True)


async def unlock(request: web.Request) -> web.Response:
    return await _change(request, lock=False)


def setup(app: web.Application) -> None:
    app.router.add_post("/post/lock", lock)
    app.router.add_post("/post/unlock", unlock)
