"""A resident's follow requests on the web (/settings/follow-requests): whether new
followers wait for an answer (`manuallyApprovesFollowers`), and the follows that wait,
oldest first, each with an Approve and a Refuse button (server.domain.follows:
approve_follow sends Accept, refuse_follow sends Reject to a remote follower's server).
Follows from a *limited* domain always wait and say so. Plain forms, no JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.appkeys import POOL
from server.domain.follows import approve_follow, refuse_follow
from server.domain.profiles import set_follower_approval
from server.storage import actors as actor_store
from server.storage.actors import ActorRow
from server.web.access import federating, require_resident
from server.web.forms import N_, read_form
from server.web.templating import redirect, render

PATH = "/settings/follow-requests"
PAGE_SIZE = 100
NOTICES = {
    "saved": N_("Saved."),
    "approved": N_("Request approved: they follow you now."),
    "refused": N_("Request refused."),
}
GONE = N_("This request is no longer waiting for an answer.")


async def _page(request: web.Request, me: ActorRow, *, error: str = "", status: int = 200) -> web.Response:
    pool = request.app[POOL]
    waiting = await actor_store.pending_followers(pool, me.id, PAGE_SIZE)
    total = len(waiting) if len(waiting) < PAGE_SIZE else await actor_store.count_pending_followers(pool, me.id)
    notice = next((text for key, text in NOTICES.items() if key in request.query), "") if status == 200 else ""
    context: dict[str, Any] = {
        "by_hand": me.manually_approves,
        "waiting": [{"actor": actor, "limited": limited, "asked_at": asked} for actor, limited, asked in waiting],
        "more": total - len(waiting),
        "notice": notice,
        "error": error,
        "timezone": None,
    }
    response = render(request, "follow_requests.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def follow_requests_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    return await _page(request, me)


async def answer(request: web.Request) -> web.Response:
    """Approve or refuse one waiting follow (`follower`: the follower's actor id)."""
    me = await require_resident(request)
    form = await read_form(request, ("follower", "decision"))
    decision = form.value("decision")
    if decision not in ("approve", "refuse"):
        raise web.HTTPBadRequest(text="decision must be approve or refuse")
    follower = await actor_store.actor_by_ap_id(request.app[POOL], form.value("follower")[:2048])
    decide = approve_follow if decision == "approve" else refuse_follow
    if follower is None or not await decide(federating(request), me, follower):
        return await _page(request, me, error=GONE, status=409)
    raise redirect(f"{PATH}?{'approved' if decision == 'approve' else 'refused'}=1")


async def save_mode(request: web.Request) -> web.Response:
    """`by_hand` = 1: new follows wait for an answer; 0: they are accepted at once."""
    me = await require_resident(request)
    form = await read_form(request, ("by_hand",))
    if form.value("by_hand") not in ("0", "1"):
        raise web.HTTPBadRequest(text="by_hand must be 0 or 1")
    await set_follower_approval(federating(request), me, form.value("by_hand") == "1")
    raise redirect(f"{PATH}?saved=1")


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, follow_requests_page)
    app.router.add_post(PATH + "/answer", answer)
    app.router.add_post(PATH + "/mode", save_mode)
