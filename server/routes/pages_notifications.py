"""The notifications page (mentions, replies, follows, joins, RSVPs, reports for
moderators) and the unread count in every page's navigation. What a notification is about
is only shown while the reader may read it (server.storage.notifications)."""

from __future__ import annotations

import warnings

import aiohttp_jinja2
from aiohttp import web

from server.appkeys import POOL
from server.routes.pages_posts import post_path, row_id
from server.storage import notifications as notification_store
from server.web.access import require_resident
from server.web.forms import N_, read_form
from server.web.sessions import Handler, current_actor, current_session
from server.web.templating import redirect, render

PAGE_SIZE = 30
TEXTS = {
    "mention": N_("%(name)s mentioned you"),
    "reply": N_("%(name)s replied to your post"),
    "follow": N_("%(name)s follows you"),
    "follow_request": N_("%(name)s asks to follow you"),
    "join": N_("%(name)s joined"),
    "rsvp": N_("%(name)s answered an invitation"),
    "report": N_("%(name)s reported a post"),
    "rsvp_going": N_("%(name)s is going to your event"),
    "rsvp_maybe": N_("%(name)s might come to your event"),
    "rsvp_declined": N_("%(name)s is not coming to your event"),
    "rsvp_pending": N_("%(name)s asks to come to your event"),
    "poll_votes": N_("New votes in your poll"),
    "event_invite": N_("%(name)s invited you to an event"),
    "event_approved": N_("%(name)s let you in: you are going to the event"),
    "event_declined": N_("%(name)s did not accept your request to come to the event"),
}
OTHER = N_("%(name)s did something")


def text_of(kind: str) -> str:
    return TEXTS.get(kind, OTHER)


async def notifications_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    before = row_id(request.query.get("before", ""))
    rows = await notification_store.notifications_for(request.app[POOL], me.id, limit=PAGE_SIZE, before=before)
    context = {
        "notifications": rows,
        "text_of": text_of,
        "post_path": lambda ap_id: post_path(request, ap_id),
        "older": rows[-1].id if len(rows) == PAGE_SIZE else None,
        "newest": rows[0].id if rows else 0,
        "timezone": None,
    }
    return render(request, "notifications.html", context)


async def mark_read(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("up_to",))
    up_to = row_id(form.value("up_to"))
    if up_to is not None:
        await notification_store.mark_read(request.app[POOL], me.id, up_to)
    raise redirect("/notifications")


@web.middleware
async def unread_count_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Signed-in page views get `unread_notifications` into their template context."""
    if request.method == "GET" and current_session(request) is not None:
        me = await current_actor(request)
        if me is not None:
            count = await notification_store.count_unread(request.app[POOL], me.id)
            extra = request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY) or {}
            with warnings.catch_warnings():  # aiohttp_jinja2's own key is a str, not a RequestKey
                warnings.simplefilter("ignore", web.NotAppKeyWarning)
                request[aiohttp_jinja2.REQUEST_CONTEXT_KEY] = {**extra, "unread_notifications": count}
    return await handler(request)


def setup(app: web.Application) -> None:
    app.middlewares.append(unread_count_middleware)
    app.router.add_get("/notifications", notifications_page)
    app.router.add_post("/notifications/read", mark_read)
