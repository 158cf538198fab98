"""Pages and forms for any event or poll a reader may see — ours or another server's,
public or for followers only: the page itself (`/post?uri=<id>` shows it through
`object_page`), RSVP and withdrawing it (`/event/rsvp`), voting (`/poll/vote`), the
organiser's approve/decline of attendees waiting for approval (`/event/attendee`) and
cancel/postpone/go ahead again (`/event/status`), and the iCalendar file of a public
event from another server (`/calendar/event.ics?uri=<id>`). Each form names its event or
poll by id in `uri` and is checked against what the signed-in resident may read."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.convert.polls import MAX_OPTION_NAME
from server.domain import event_actions
from server.domain import events as event_domain
from server.domain import polls as poll_domain
from server.domain import rsvp as rsvp_domain
from server.domain.calendar import CalendarMeta
from server.domain.calendar_feeds import product_id, render_events
from server.routes import pages_events, pages_polls
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage.actors import ActorRow
from server.storage.calendar_events import EventScope, EventWindow, public_events
from server.storage.objects import ObjectRow
from server.storage.readable import readable_object
from server.web.access import federating, require_resident
from server.web.forms import N_, read_form
from server.web.post_lists import page_path
from server.web.templating import redirect, render_error

MAX_URI = 2048
NOT_FOUND = N_("This post is not here, or you may not see it.")
STATUSES = ("cancelled", "postponed", "scheduled")
DECISIONS = ("approve", "decline")
NOT_WAITING = N_("This person is no longer waiting, or the event is full.")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


async def object_page(request: web.Request, obj: ObjectRow) -> web.Response:
    """The page of an event or a poll the reader may see (callers check that)."""
    if obj.type == "Event":
        return await pages_events.event_page(request, obj)
    return await pages_polls.poll_page(request, obj)


def back(request: web.Request, obj: ObjectRow, anchor: str) -> web.HTTPSeeOther:
    return redirect(page_path(obj, request.app[SETTINGS].base_url) + anchor)


async def _readable(request: web.Request, uri: str, viewer_id: int, kind: str) -> ObjectRow | None:
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI:
        return None
    found = await readable_object(request.app[POOL], uri, viewer_id)
    return found if found is not None and found.type == kind else None


async def answer(request: web.Request) -> web.Response:
    """POST /event/rsvp (`uri`, `answer`): going, maybe, not going, or withdraw the answer."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "answer"))
    obj = await _readable(request, form.value("uri"), me.id, "Event")
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id) if obj else None
    if obj is None or event is None:
        return render_error(request, 404, NOT_FOUND)
    choice = form.value("answer")
    if choice not in pages_events.RSVP_ANSWERS:
        return await pages_events.event_page(request, obj, error=N_("Choose one of the answers."), status=400)
    fed = federating(request)
    if choice == "cancel":
        await event_actions.withdraw_answer(fed, me, event)
        raise back(request, obj, "#rsvp")
    try:
        await rsvp_domain.rsvp(fed, me, obj.ap_id, choice)
    except rsvp_domain.EventUnavailable as refused:
        message = pages_events.REFUSAL_WORDS.get(str(refused), N_("This event takes no answers."))
        return await pages_events.event_page(request, obj, error=message, status=409)
    raise back(request, obj, "#rsvp")


async def _organised(request: web.Request, names: tuple[str, ...]) -> tuple[ObjectRow, ActorRow, dict[str, str]] | None:
    """(event object, the actor the resident organises it as, form values), or None when
    the resident may not see the event or does not organise it."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", *names))
    obj = await _readable(request, form.value("uri"), me.id, "Event")
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id) if obj else None
    acting = await pages_events.organising_actor(request.app[POOL], me, event) if event else None
    if obj is None or acting is None:
        return None
    return obj, acting, {name: form.value(name) for name in names}


async def decide_attendee(request: web.Request) -> web.Response:
    """POST /event/attendee (`uri`, `attendee`, `decision`): the organiser lets someone
    waiting in (Accept of their Join) or turns them down (Reject)."""
    organised = await _organised(request, ("attendee", "decision"))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting, values = organised
    attendee = await actor_store.actor_by_ap_id(request.app[POOL], values["attendee"][:MAX_URI])
    decision = values["decision"]
    if attendee is None or decision not in DECISIONS:
        return await pages_events.event_page(request, obj, attendee_error=NOT_WAITING, status=400)
    fed = federating(request)
    if decision == "approve":
        done = await rsvp_domain.approve_attendee(fed, acting, obj.ap_id, attendee)
    else:
        done = await event_actions.decline_attendee(fed, acting, obj.ap_id, attendee)
    if not done:
        return await pages_events.event_page(request, obj, attendee_error=NOT_WAITING, status=409)
    raise back(request, obj, "#waiting-heading")


async def change_status(request: web.Request) -> web.Response:
    """POST /event/status (`uri`, `status`): cancel, postpone, or go ahead again (which
    undoes a cancellation or a postponement). Each is an Update plus a Note for Mastodon."""
    organised = await _organised(request, ("status",))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting, values = organised
    fed = federating(request)
    status = values["status"]
    if status not in STATUSES:
        return render_error(request, 400, "Choose one of the answers.")
    try:
        if status == "cancelled":
            await event_domain.cancel_event(fed, acting, obj.ap_id)
        elif status == "postponed":
            await event_domain.postpone_event(fed, acting, obj.ap_id)
        else:
            await event_actions.reschedule_event(fed, acting, obj.ap_id)
    except event_domain.NotOrganiser:
        return render_error(request, 404, NOT_FOUND)
    raise back(request, obj, "")


async def vote(request: web.Request) -> web.Response:
    """POST /poll/vote (`uri`, one or more `choice`): a vote in any poll the resident may see."""
    me = await require_resident(request)
    data = await request.post()
    uri = data.get("uri", "")
    obj = await _readable(request, uri if isinstance(uri, str) else "", me.id, "Question")
    if obj is None:
        return render_error(request, 404, NOT_FOUND)
    limit = pages_polls.FORM_OPTIONS * 5
    choices = [v[:MAX_OPTION_NAME] for v in data.getall("choice", []) if isinstance(v, str)][:limit]
    if not choices:
        return await pages_polls.poll_page(request, obj, error=N_("Choose at least one option."), status=400)
    try:
        await poll_domain.vote(federating(request), me, obj.ap_id, choices)
    except poll_domain.InvalidPoll as refused:
        message = pages_polls.VOTE_REFUSALS.get(str(refused), N_("Your vote could not be counted."))
        return await pages_polls.poll_page(request, obj, error=message, status=409)
    raise back(request, obj, "#results")


async def event_calendar(request: web.Request) -> web.Response:
    """GET /calendar/event.ics?uri=<id>: one public event (ours or another server's)."""
    settings = request.app[SETTINGS]
    uri = request.query.get("uri", "")
    rows = await public_events(request.app[POOL], EventScope(ap_id=uri), EventWindow(), 1) if uri else []
    if not rows or len(uri) > MAX_URI:
        raise web.HTTPNotFound(text="no such calendar")
    meta = CalendarMeta(name=settings.name, description="", product=product_id(settings))
    rendered = render_events(meta, rows, EPOCH)
    return web.Response(
        body=rendered.body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": 'inline; filename="event.ics"', "ETag": rendered.etag},
    )


def setup(app: web.Application) -> None:
    app.router.add_post("/event/rsvp", answer)
    app.router.add_post("/event/attendee", decide_attendee)
    app.router.add_post("/event/status", change_status)
    app.router.add_post("/poll/vote", vote)
    app.router.add_get("/calendar/event.ics", event_calendar)
