"""Organiser and invitee forms of an event page: inviting people to an invite-only event
(`/event/invite`: at most 50 user names here or `name@host` handles, found with WebFinger,
separated by commas or new lines; each is reported back), taking back an unanswered
invitation (`/event/uninvite`), the invitee's answer (`/event/invitation`: accept or decline, ours or another server's
event), deleting an event after a confirmation step (`/event/delete`), and the pages of
followers-only events and polls at their own address `/objects/{uid}` for readers who may
see them."""

from __future__ import annotations

import re
from urllib.parse import quote

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import event_invitations
from server.domain import events as event_domain
from server.domain import rsvp as rsvp_domain
from server.routes import pages_event_actions, pages_events
from server.routes.pages_organiser import actor_from_text
from server.storage import actors as actor_store
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
MAX_INVITEES = 50
NAME_SEPARATORS = re.compile(r"[,\r\n]+")
PAGE_TYPES = frozenset({"Event", "Question"})
NOT_FOUND = N_("This post is not here, or you may not see it.")
NOBODY = N_("Give a user name here, or name@server.")
UNKNOWN = N_("Nobody was found with this name.")
TOO_MANY = N_("Give at most 50 names at a time.")
SOME_UNKNOWN = N_("Not everyone was found: see the list below the field, and check those names.")
OUTCOME_WORDS = {
    "invited": N_("invited"),
    event_invitations.ALREADY_INVITED: N_("already invited"),
    "not found": N_("not found"),
}
ANSWERED = N_("has answered already")
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


def invitee_names(text: str) -> list[str]:
    """The names in the invite field (commas or new lines between them), each once."""
    names: dict[str, str] = {}
    for part in NAME_SEPARATORS.split(text[: (MAX_INVITEE + 2) * (MAX_INVITEES + 1)]):
        name = part.strip()
        if name:
            names.setdefault(name.lower(), name)
    return list(names.values())


async def _invitee(request: web.Request, name: str) -> ActorRow | None:
    if len(name) > MAX_INVITEE:
        return None
    found = await actor_from_text(request, name)
    if found is None or found.gone_at is not None or found.kind not in ("Person", "Organization"):
        return None
    return found


async def invite(request: web.Request) -> web.Response:
    """POST /event/invite (`uri`, `invitee`: names separated by commas or new lines): the
    organiser invites them; the page lists each name as invited, already invited,
    answered already or not found."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "invitee"))
    organised = await _organised(request, me, form.value("uri"))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting = organised
    text = form.value("invitee")
    names = invitee_names(text)
    if not names:
        return await pages_events.event_page(request, obj, invite_error=NOBODY, status=400)
    if len(names) > MAX_INVITEES:
        return await pages_events.event_page(request, obj, invite_error=TOO_MANY, invite_text=text, status=400)
    results: list[tuple[str, str]] = []
    for name in names:
        invitee = await _invitee(request, name)
        if invitee is None:
            results.append((name, OUTCOME_WORDS["not found"]))
            continue
        try:
            state = await event_invitations.invite_to_event(federating(request), acting, obj.ap_id, invitee)
        except event_invitations.CannotInvite as refused:
            message = INVITE_REFUSALS.get(str(refused), N_("This invitation could not be sent."))
            return await pages_events.event_page(request, obj, invite_error=message, status=409)
        results.append((name, OUTCOME_WORDS.get(state, ANSWERED)))
    missing = [name for name, outcome in results if outcome == OUTCOME_WORDS["not found"]]
    if len(names) == 1 and missing:
        return await pages_events.event_page(request, obj, invite_error=UNKNOWN, invite_text=text, status=400)
    return await pages_events.event_page(
        request,
        obj,
        invite_error=SOME_UNKNOWN if missing else "",
        invite_text="\n".join(missing),
        invite_results=results,
    )


async def uninvite(request: web.Request) -> web.Response:
    """POST /event/uninvite (`uri`, `invitee` = the invitee's actor id): the organiser
    takes back an invitation that has not been answered yet."""
    me = await require_resident(request)
    form = await read_form(request, ("uri", "invitee"))
    organised = await _organised(request, me, form.value("uri"))
    if organised is None:
        return render_error(request, 404, NOT_FOUND)
    obj, acting = organised
    invitee_id = form.value("invitee").strip()
    invitee = await actor_store.actor_by_ap_id(request.app[POOL], invitee_id) if len(invitee_id) <= MAX_URI else None
    try:
        if invitee is None:
            raise event_invitations.CannotTakeBack("unknown invitee")
        await event_invitations.take_back_invitation(federating(request), acting, obj.ap_id, invitee)
    except event_invitations.CannotInvite as refused:
        message = INVITE_REFUSALS.get(str(refused), N_("This invitation could not be taken back."))
        return await pages_events.event_page(request, obj, invite_error=message, status=409)
    except event_invitations.CannotTakeBack:
        message = N_("There is no unanswered invitation to take back.")
        return await pages_events.event_page(request, obj, invite_error=message, status=409)
    raise redirect(page_path(obj, request.app[SETTINGS].base_url) + "#invited-heading")


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
    app.router.add_post("/event/uninvite", uninvite)
    app.router.add_post("/event/invitation", answer_invitation)
    app.router.add_get("/event/delete", delete_page)
    app.router.add_post("/event/delete", delete)
