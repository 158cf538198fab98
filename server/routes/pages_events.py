"""Event pages: the HTML side of /objects/{uid} for an Event (details, place and map link,
status in words, going count, RSVP, add to calendar), RSVP from the web, the organiser's
cancel/postpone buttons, and the upcoming-events list and feed links of the home,
neighbourhood and profile pages. The composer and edit form are in `pages_event_form.py`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web
from babel.dates import format_date, format_time

from server.appkeys import POOL, SETTINGS
from server.domain import events as event_domain
from server.domain import rsvp as rsvp_domain
from server.domain.feeds import FeedLink, feed_links
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import instance_policy as policy_store
from server.storage import media as media_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.calendar_events import EventRow as ListedEvent
from server.storage.calendar_events import EventScope, EventWindow, public_events
from server.storage.events import EventRow
from server.storage.objects import ObjectRow
from server.storage.pool import Pool
from server.urls import Urls
from server.web import opengraph
from server.web.access import federating, require_resident
from server.web.forms import N_, read_form
from server.web.post_lists import page_path
from server.web.sessions import current_actor
from server.web.templating import language_of, redirect, render, render_error, zone

VIEWABLE = frozenset({"public", "unlisted"})
UPCOMING_LIMIT = 10
MAX_WAITING = 200
RSVP_ANSWERS = ("going", "maybe", "declined", "cancel")
STATUS_WORDS = {"cancelled": N_("Cancelled"), "postponed": N_("Postponed"), "scheduled": N_("Scheduled")}
JOIN_MODE_WORDS = {
    "free": N_("Anyone may come: answer below."),
    "restricted": N_("The organiser approves each attendee."),
    "invite": N_("By invitation only."),
    "external": N_("Answer on the organiser's own site."),
    "none": N_("No answer needed: just come."),
}
REFUSAL_WORDS = {
    "this event is full": N_("This event is full."),
    "this event is cancelled": N_("This event is cancelled."),
    "this event is over": N_("This event is over."),
    "this event is by invitation only": N_("This event is by invitation only."),
    "answer on the organiser's own site": N_("Answer on the organiser's own site."),
}


def osm_link(latitude: float, longitude: float) -> str:
    """An OpenStreetMap URL with a marker at the place (a plain link, nothing embedded)."""
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def describe_time(moment: datetime, timezone: str | None, lang: str) -> str:
    """A day and time in the event's zone, in the reader's language."""
    tz = zone(timezone)
    day = format_date(moment.astimezone(tz), "full", locale=lang)
    return f"{day}, {format_time(moment, 'short', tzinfo=tz, locale=lang)}"


def address_of(fields: event_store.EventFields) -> str:
    town = " ".join(p for p in (fields.postal_code, fields.locality) if p)
    return ", ".join(p for p in (fields.street_address, town, fields.region, fields.country) if p)


def uid_of(request: web.Request, ap_id: str) -> str:
    return ap_id.removeprefix(Urls(request.app[SETTINGS]).object(""))


def path_of(request: web.Request, ap_id: str) -> str:
    return ap_id.removeprefix(request.app[SETTINGS].base_url) or "/"


async def organising_actor(pool: Pool, me: ActorRow | None, event: EventRow) -> ActorRow | None:
    """Whom `me` acts for as the organiser: themselves, or the neighbourhood they moderate."""
    if me is None or event.actor_id is None:
        return None
    if event.actor_id == me.id:
        return me
    organiser = await actor_store.actor_by_id(pool, event.actor_id)
    if organiser is None or organiser.kind != "Group" or not organiser.is_local:
        return None
    found = await membership_store.membership(pool, organiser.id, me.id)
    return organiser if found is not None and found.is_moderator else None


async def author_limited(pool: Pool, obj: ObjectRow) -> bool:
    """The remote author of an event or poll is on a *limited* domain: its page says so, as
    a post's page does (server.routes.pages_posts)."""
    return (
        not obj.is_local and obj.actor_id is not None and bool(await policy_store.limited_among(pool, [obj.actor_id]))
    )


async def held_in(pool: Pool, obj: ObjectRow) -> list[ActorRow]:
    """The neighbourhoods (ours or remote) that announced the event: it is held there."""
    found = []
    for group_id in await neighbourhood_store.groups_of_object(pool, obj.ap_id):
        post = await neighbourhood_store.group_post(pool, group_id, obj.ap_id)
        group = await actor_store.actor_by_id(pool, group_id) if post and post.state == "announced" else None
        if group is not None and group.id != obj.actor_id:
            found.append(group)
    return found


def takes_answers(event: EventRow, now: datetime) -> bool:
    fields = event.fields
    over = (fields.ends_at or fields.starts_at) < now
    return fields.join_mode in ("free", "restricted") and fields.status != "cancelled" and not over


async def picture_of(request: web.Request, fields: event_store.EventFields) -> dict[str, Any] | None:
    """The event's picture for its page: URL (a path for our own media), alt text, and
    width and height when it is ours; None without one."""
    url = fields.image_url
    if not url or not url.startswith(("https://", "http://")):
        return None
    media_prefix = request.app[SETTINGS].base_url + "/media/"
    width = height = None
    if url.startswith(media_prefix):
        found = await media_store.media_by_file_name(request.app[POOL], url.removeprefix(media_prefix))
        width, height = (found.width, found.height) if found else (None, None)
        url = url.removeprefix(request.app[SETTINGS].base_url)
    return {"url": url, "alt": fields.image_alt or "", "width": width, "height": height}


async def event_page(
    request: web.Request,
    obj: ObjectRow,
    *,
    error: str = "",
    attendee_error: str = "",
    invite_error: str = "",
    invite_text: str = "",
    invite_results: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> web.Response:
    """An event with its details and answers (callers enforce visibility)."""
    pool = request.app[POOL]
    event = await event_store.event_by_ap_id(pool, obj.ap_id)
    if event is None:
        return render_error(request, 404, "not found", vary_accept=True)
    me = await current_actor(request)
    organiser = await actor_store.actor_by_ap_id(pool, obj.attributed_to)
    acting = await organising_actor(pool, me, event)
    fields = event.fields
    counts = await event_store.attendee_counts(pool, event.object_id)
    mine = await event_store.attendee(pool, event.object_id, me.id) if me else None
    names = await event_domain.attendee_names(pool, event, acting.ap_id if acting else None)
    waiting = await event_store.attendee_ids(pool, event.object_id, "pending", MAX_WAITING) if acting else []
    can_invite = acting is not None and event.is_local and fields.join_mode == "invite"
    invited = await event_store.attendee_ids(pool, event.object_id, "invited", MAX_WAITING) if can_invite else []
    lang = language_of(request)
    calendar_url = event_calendar_url(request, obj)
    going = await going_count(pool, obj, event, counts["going"])
    context: dict[str, Any] = {
        "obj": obj,
        "event": fields,
        "organiser_name": (organiser.name or organiser.username) if organiser else obj.attributed_to,
        "organiser_url": (organiser.url or organiser.ap_id) if organiser else obj.attributed_to,
        "starts": describe_time(fields.starts_at, fields.timezone, lang),
        "ends": describe_time(fields.ends_at, fields.timezone, lang) if fields.ends_at else "",
        "timezone": fields.timezone or "",
        "address": address_of(fields),
        "map_url": osm_link(fields.latitude, fields.longitude)
        if fields.latitude is not None and fields.longitude is not None
        else "",
        "status_word": STATUS_WORDS.get(fields.status, STATUS_WORDS["scheduled"]),
        "join_word": JOIN_MODE_WORDS.get(fields.join_mode, ""),
        "going": going,
        "attendee_names": names,
        "waiting_names": waiting,
        "my_state": mine.state if mine else "",
        "can_answer": takes_answers(event, datetime.now(UTC)),
        "is_organiser": acting is not None,
        "calendar_url": calendar_url,
        "webcal_url": Urls(request.app[SETTINGS]).webcal(calendar_url) if calendar_url else "",
        "path": page_path(obj, request.app[SETTINGS].base_url),
        "edit_path": path_of(request, obj.ap_id) + "/edit" if obj.is_local else "",
        "is_remote": not obj.is_local,
        "neighbourhoods": await held_in(pool, obj),
        "author_limited": await author_limited(pool, obj),
        "rsvp_error": error,
        "attendee_error": attendee_error,
        "image": await picture_of(request, fields),
        "can_invite": can_invite,
        "invited_names": invited,
        "invite_error": invite_error,
        "invite_text": invite_text,
        "invite_results": invite_results or [],
        "delete_path": "/event/delete?uri=" + quote(obj.ap_id, safe="") if obj.is_local else "",
        "alternate": obj.ap_id if obj.is_local else None,
        "og": opengraph.event_page_tags(request, obj, fields, describe_time(fields.starts_at, fields.timezone, lang)),
    }
    return render(request, "event.html", context, status=status, vary_accept=True)


async def going_count(pool: Pool, obj: ObjectRow, event: EventRow, going_here: int) -> int:
    """How many are going. Ours: counted here. Another server's that sends a count: its
    last count plus our residents' going answers made after that count arrived (the
    Create, or the last Update, `objects.updated_at`): a count that arrived before an
    answer was made cannot include it, so nothing is counted twice; an answer made while
    an Update was on its way shows once the next Update brings it."""
    reported = event.fields.reported_participants
    if event.is_local or reported is None:
        return going_here
    fresh = await event_store.local_going_since(pool, event.object_id, obj.updated_at)
    return max(going_here, reported + fresh)


def event_calendar_url(request: web.Request, obj: ObjectRow) -> str:
    """The .ics of a public event: ours at /calendar/events/<uid>.ics, a remote one at
    /calendar/event.ics?uri=…; none for an event that is not public."""
    settings = request.app[SETTINGS]
    if obj.visibility != "public":
        return ""
    if obj.is_local:
        return Urls(settings).calendar("events/" + uid_of(request, obj.ap_id))
    return f"{settings.base_url}/calendar/event.ics?uri={quote(obj.ap_id, safe='')}"


async def viewable_object(request: web.Request, kind: str) -> ObjectRow | None:
    """Our own undeleted public or unlisted object of this type at /objects/{uid}."""
    ap_id = Urls(request.app[SETTINGS]).object(request.match_info["uid"])
    obj = await object_store.object_by_ap_id(request.app[POOL], ap_id)
    if obj is None or not obj.is_local or obj.deleted_at is not None or obj.type != kind:
        return None
    return obj if obj.visibility in VIEWABLE else None


async def answer_event(request: web.Request) -> web.Response:
    """POST /objects/{uid}/rsvp: going, maybe, not going, or withdraw the answer."""
    me = await require_resident(request)
    obj = await viewable_object(request, "Event")
    if obj is None:
        return render_error(request, 404, "not found")
    form = await read_form(request, ("answer",))
    answer = form.value("answer")
    if answer not in RSVP_ANSWERS:
        return await event_page(request, obj, error=N_("Choose one of the answers."), status=400)
    fed = federating(request)
    if answer == "cancel":
        event = await event_store.event_by_ap_id(fed.pool, obj.ap_id)
        if event is not None:
            async with fed.pool.acquire() as conn, conn.transaction():
                await rsvp_domain.withdraw(conn, event, me.id)
        raise redirect(path_of(request, obj.ap_id) + "#rsvp")
    try:
        await rsvp_domain.rsvp(fed, me, obj.ap_id, answer)
    except rsvp_domain.EventUnavailable as refused:
        message = REFUSAL_WORDS.get(str(refused), N_("This event takes no answers."))
        return await event_page(request, obj, error=message, status=409)
    raise redirect(path_of(request, obj.ap_id) + "#rsvp")


async def change_status(request: web.Request) -> web.Response:
    """POST /objects/{uid}/status: the organiser cancels or postpones the event."""
    me = await require_resident(request)
    obj = await viewable_object(request, "Event")
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id) if obj else None
    acting = await organising_actor(request.app[POOL], me, event) if event else None
    if obj is None or acting is None:
        return render_error(request, 404, "not found")
    form = await read_form(request, ("status",))
    fed = federating(request)
    if form.value("status") == "cancelled":
        await event_domain.cancel_event(fed, acting, obj.ap_id)
    elif form.value("status") == "postponed":
        await event_domain.postpone_event(fed, acting, obj.ap_id)
    else:
        return render_error(request, 400, "Choose one of the answers.")
    raise redirect(path_of(request, obj.ap_id))


def relative_links(request: web.Request, links: list[FeedLink]) -> list[FeedLink]:
    """Feed links as paths on this site (a page's `<link>`s point to nothing absolute)."""
    base = request.app[SETTINGS].base_url
    return [replace(link, href=link.href.removeprefix(base)) for link in links]


async def upcoming(pool: Pool, scope: EventScope) -> list[ListedEvent]:
    """Public events that have not ended, soonest first."""
    return await public_events(pool, scope, EventWindow(ends_after=datetime.now(UTC)), UPCOMING_LIMIT)


async def instance_extras(request: web.Request) -> dict[str, Any]:
    """For the instance home: upcoming local events, feed and calendar links."""
    settings = request.app[SETTINGS]
    urls = Urls(settings)
    calendar_url = urls.calendar("instance")
    return {
        "upcoming_events": await upcoming(request.app[POOL], EventScope(local_only=True)),
        "feeds": relative_links(request, feed_links(urls, "instance", settings.name, with_calendar=True)),
        "calendar_url": calendar_url,
        "webcal_url": urls.webcal(calendar_url),
    }


async def actor_extras(request: web.Request, actor: ActorRow, is_neighbourhood: bool) -> dict[str, Any]:
    """For a neighbourhood page: its upcoming events and feed/calendar links; for a
    profile: its feed links."""
    urls = Urls(request.app[SETTINGS])
    title = actor.name or actor.username
    if not is_neighbourhood:
        links = feed_links(urls, f"residents/{actor.username}", title) if actor.discoverable else []
        links = relative_links(request, links)
        return {"feeds": links, "upcoming_events": [], "calendar_url": "", "webcal_url": ""}
    calendar_url = urls.calendar(f"neighbourhoods/{actor.username}")
    return {
        "upcoming_events": await upcoming(request.app[POOL], EventScope(neighbourhood_id=actor.id)),
        "feeds": relative_links(
            request, feed_links(urls, f"neighbourhoods/{actor.username}", title, with_calendar=True)
        ),
        "calendar_url": calendar_url,
        "webcal_url": urls.webcal(calendar_url),
    }


def setup(app: web.Application) -> None:
    app.router.add_post("/objects/{uid}/rsvp", answer_event)
    app.router.add_post("/objects/{uid}/status", change_status)
