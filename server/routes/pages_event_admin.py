"""Organiser and invitee forms of an event page: inviting someone to an invite-only event
(`/event/invite`: a user name here or a `name@host` handle, found with WebFinger), the
invitee's answer (`/event/invitation`: accept or decline, ours or another server's
event), deleting an event after a confirmation step (`/event/delete`), and the pages of
followers-only events and polls at their own address `/objects/{uid}` for readers who may
see them."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import event_invitations
from server.domain import events as event_domain
from server.domain import rsvp as rsvp_domain
from server.routes import pages_event_actions, pages_events
from server.routes.pages_organiser import actor_from_text
from server.storage import events as event_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.storage.readable import readable_object
from server.web.access import federating, require_resident
from server.web.forms import N_, read_form
from server.web.post_lists import page_path
from server.web.sessions import current_actor
from server.web.templating import redirect, render, render_error

MAX_URI = 2048
MAX_INVITEE = 300
PAGE_TYPES = frozenset({"Event", "Question"})
NOT_FOUND = N_("This post is not here, or you may not see it.")
NOBODY = N_("Give a user name here, or name@server.")
UNKNOWN = N_("Nobody was found with this name.")
INVITE_REFUSALS = {
    "this event is unknown or was deleted": N_("This event was deleted."),
    "only events by invitation take invitations": N_("Only events by invitation take invitations."),
    "only the organiser may invite": N_("Only the organiser may invite."),
}


async def _event_for(request: web.Request, me: ActorRow, uri: str) -> ObjectRow | None:
    """The event named in a form, when the resident may see it."""
    uri = uri.strip()
    if not uri or len(uri) > MAX_URI:
        return None
    found = await readable_object(request.app[POOL], uri, me.id)
    return found if found is not None and found.type == "Event" else None


async def _organised(request: web.Request, me: ActorRow, uri: str) -> tuple[ObjectRow, ActorRow] | None:
    """(our own event, whom the resident organises it as), or None."""
    obj = await _event_for(request, me, uri)
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id) if obj and obj.is_local else None
    acting = await pages_events.organising_actor(request.app[POOL], me, event) if event else None
    return (obj, acting) if obj is not None and acting is not None else None


async def invite(request: web.Request) -> web.Response:
    """POST /event/invite (`uri`, `invitee`): the organiser invites someone."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "invitee"))
    organised = await _organised(request, me, form.value("uri"))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting = organised
    text = form.value("invitee").strip()
    if not text or len(text) > MAX_INVITEE:
        return await pages_events.event_page(request, obj, invite_error=NOBODY, status=400)
    invitee = await actor_from_text(request, text)
    if invitee is None or invitee.gone_at is not None or invitee.kind not in ("Person", "Organization"):
        return await pages_events.event_page(request, obj, invite_error=UNKNOWN, status=400)
    try:
        await event_invitations.invite_to_event(federating(request), acting, obj.ap_id, invitee)
    except event_invitations.CannotInvite as refused:
        message = INVITE_REFUSALS.get(str(refused), N_("This invitation could not be sent."))
        return await pages_events.event_page(request, obj, invite_error=message, status=409)
    raise redirect(page_path(obj, request.app[SETTINGS].base_url) + "#invite-heading")


async def answer_invitation(request: web.Request) -> web.Response:
    """POST /event/invitation (`uri`, `answer` = accept | decline): the invitee answers."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "answer"))
    obj = await _event_for(request, me, form.value("uri"))
    if obj is None:
        return render_error(request, 404, NOT_FOUND)
    choice = form.value("answer")
    if choice not in ("accept", "decline"):
        return await pages_events.event_page(request, obj, error=N_("Choose one of the answers."), status=400)
    try:
        await event_invitations.answer_invitation(federating(request), me, obj.ap_id, choice == "accept")
    except event_invitations.CannotAnswer:
        return await pages_events.event_page(request, obj, error=N_("You have no open invitation."), status=409)
    except rsvp_domain.EventUnavailable as refused:
        message = pages_events.REFUSAL_WORDS.get(str(refused), N_("This event takes no answers."))
        return await pages_events.event_page(request, obj, error=message, status=409)
    raise redirect(page_path(obj, request.app[SETTINGS].base_url) + "#rsvp")


async def delete_page(request: web.Request) -> web.Response:
    """GET /event/delete?uri=<id>: the organiser confirms deleting the event."""
    me = await require_resident(request)
    organised = await _organised(request, me, request.query.get("uri", ""))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, _ = organised
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id)
    assert event is not None
    context = {"obj": obj, "event": event.fields, "back": page_path(obj, request.app[SETTINGS].base_url)}
    return render(request, "event_delete.html", context)


async def delete(request: web.Request) -> web.Response:
    """POST /event/delete (`uri`, `confirm=yes`): Delete to followers and attendees."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "confirm"))
    organised = await _organised(request, me, form.value("uri"))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting = organised
    if form.value("confirm") != "yes":
        raise redirect("/event/delete?uri=" + quote(obj.ap_id, safe=""))
    try:
        await event_domain.delete_event(federating(request), acting, obj.ap_id)
    except event_domain.NotOrganiser:
        return render_error(request, 404, NOT_FOUND)
    raise redirect(pages_events.path_of(request, acting.ap_id))


async def private_object_page(request: web.Request, obj: ObjectRow) -> web.Response | None:
    """The page of one of our followers-only (or otherwise addressed) events or polls at
    `/objects/{uid}`, for a signed-in reader who may see it, by the same rule as every
    other read path (server.storage.visibility); None for anyone else."""
    if obj.type not in PAGE_TYPES:
        return None
    me = await current_actor(request)
    if me is None or await readable_object(request.app[POOL], obj.ap_id, me.id) is None:
        return None
    return await pages_event_actions.object_page(request, obj)


def setup(app: web.Application) -> None:
    app.router.add_post("/event/invite", invite)
    app.router.add_post("/event/invitation", answer_invitation)
    app.router.add_get("/event/delete", delete_page)
    app.router.add_post("/event/delete", delete)
