"""The event composer (/compose/event) and the organiser's edit form
(/objects/{uid}/edit): read and check the fields, then call `server.domain.events`.

Both take a picture with required alt text, through the same upload path as posts
(server.domain.media: size and pixel limits, re-encoded without EXIF); errors show next
to the image field. The edit form keeps the current picture, changes its alt text,
replaces it or removes it, and works for the organiser whatever the event's visibility.
A resident may hold a new public or unlisted event in a neighbourhood they are a member
of and may post in (the `neighbourhood` field): the group announces it like a post.
The time zone is chosen from a list (`offered_zones`, shared with the poll composer); a
time the clocks skip in that zone is refused, a time that happens twice is the first."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server.appkeys import POOL, SETTINGS
from server.config import Settings
from server.convert.events import valid_timezone
from server.domain import events as event_domain
from server.domain import media
from server.domain.membership import NotAllowed, may_post
from server.domain.upload_discard import discard_uploads
from server.routes.pages_events import organising_actor, path_of, picture_of
from server.routes.pages_residents import html_to_text, text_to_html
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.storage.events import EventFields
from server.urls import Urls
from server.web.access import federating, require_resident
from server.web.forms import N_, Form, form_from
from server.web.templating import DEFAULT_TIMEZONE, redirect, render, render_error, zone
from server.web.upload_limits import allow_upload

FIELDS = (
    "organiser", "name", "description", "starts", "ends", "timezone", "place_name", "street_address",
    "postal_code", "locality", "latitude", "longitude", "online_url", "capacity", "join_mode", "visibility",
    "neighbourhood",
)  # fmt: skip
LOCAL_TIME = "%Y-%m-%dT%H:%M"
COMPOSE_PATH = "/compose/event"
EDIT_PATH = "/objects/{uid}/edit"
PICTURE_FIELDS = ("alt_text", "current_alt", "picture")
PICTURE_ACTIONS = (
    ("keep", N_("Keep it")),
    ("replace", N_("Replace it with the new image below")),
    ("remove", N_("Remove it")),
)
FORM_OVERHEAD = 256 * 1024  # the text fields of the form besides the picture
TOO_BIG = N_("This image is too big.")
MAX_NAME = 200
MAX_TEXT = 200
MAX_DESCRIPTION = 10_000
MAX_CAPACITY = 100_000
JOIN_CHOICES = (
    ("free", N_("Anyone may come")),
    ("restricted", N_("I approve each attendee")),
    ("invite", N_("By invitation only: I invite people")),
    ("none", N_("No answers: people just come")),
    ("external", N_("People answer on another site")),
)
VISIBILITY_CHOICES = (
    ("public", N_("Public: everyone")),
    ("unlisted", N_("Unlisted: everyone with the link, not on public pages")),
    ("followers", N_("Followers only")),
)
COMMON_ZONES = (
    "Europe/Amsterdam", "Europe/Brussels", "Europe/Luxembourg", "Europe/Berlin", "Europe/Paris", "Europe/London",
    "Europe/Dublin", "Europe/Lisbon", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna",
    "Europe/Copenhagen", "Europe/Oslo", "Europe/Stockholm", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague",
    "Europe/Budapest", "Europe/Athens", "Europe/Istanbul", "UTC",
)  # fmt: skip
NOT_OFFERED = frozenset({"localtime", "Factory", "posixrules"})  # files in the zone database, not zones


@cache
def offered_zones() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The time zone list of the composers: the common European zones first (in this
    order), then every other zone Python knows, sorted."""
    known = zoneinfo.available_timezones() - NOT_OFFERED
    common = tuple(name for name in COMMON_ZONES if name in known)
    return common, tuple(sorted(known - set(common)))


def zone_groups(chosen: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The list's two groups; a valid zone chosen before (an event's stored zone) that
    is not in the list is added to the first group, so that it stays selected."""
    common, others = offered_zones()
    if valid_timezone(chosen) is None or chosen in common or chosen in others:
        return common, others
    return (chosen, *common), others


def exists_in_zone(moment: datetime) -> bool:
    """False for a wall-clock time skipped when the clocks go forward (it would silently
    become another time). A time that happens twice (the clocks go back) exists: it is
    read as the first one (`fold=0`, summer time)."""
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def parse_local_time(form: Form, name: str, tz: str, required: bool) -> datetime | None:
    """A `datetime-local` value read in the event's zone; a time the clocks skip there
    fails the field, a time that happens twice is the first one."""
    text = form.value(name).strip()
    if not text:
        if required:
            form.fail(name, N_("Give a date and time."))
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        form.fail(name, N_("Give a date and time like 2030-05-01 14:00."))
        return None
    if moment.tzinfo is not None:
        return moment
    moment = moment.replace(tzinfo=zone(tz))
    if not exists_in_zone(moment):
        form.fail(
            name, N_("This time does not exist in this time zone: the clocks go forward then. Choose another time.")
        )
        return None
    return moment


def parse_number(form: Form, name: str, low: float, high: float, message: str) -> float | None:
    text = form.value(name).strip().replace(",", ".")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        form.fail(name, message)
        return None
    return number


def parse_capacity(form: Form) -> int | None:
    text = form.value("capacity").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_CAPACITY:
        form.fail("capacity", N_("Give a whole number from 1, or leave it empty for no limit."))
        return None
    return int(text)


def optional_text(form: Form, name: str) -> str | None:
    form.limit(name, MAX_TEXT, N_("Use at most 200 characters."))
    return form.value(name).strip() or None


def parse_event(form: Form) -> EventFields | None:
    """The event as typed, or None with an error next to each wrong field."""
    name = form.require("name", N_("Give the event a name."))
    form.limit("name", MAX_NAME, N_("Use at most 200 characters."))
    form.limit("description", MAX_DESCRIPTION, N_("Use at most 10000 characters."))
    tz = form.value("timezone").strip() or DEFAULT_TIMEZONE
    if valid_timezone(tz) is None:
        form.fail("timezone", N_("Choose a time zone from the list."))
        tz = DEFAULT_TIMEZONE
    starts = parse_local_time(form, "starts", tz, required=True)
    ends = parse_local_time(form, "ends", tz, required=False)
    if starts and ends and ends < starts:
        form.fail("ends", N_("The end must be after the start."))
    online = form.value("online_url").strip() or None
    if online and (len(online) > 2000 or not online.startswith(("https://", "http://"))):
        form.fail("online_url", N_("Give a web address starting with https://."))
    join_mode = form.value("join_mode") or "free"
    if join_mode not in {value for value, _ in JOIN_CHOICES}:
        form.fail("join_mode", N_("Choose how people answer."))
    fields = {
        "place_name": optional_text(form, "place_name"),
        "street_address": optional_text(form, "street_address"),
        "postal_code": optional_text(form, "postal_code"),
        "locality": optional_text(form, "locality"),
        "latitude": parse_number(form, "latitude", -90, 90, N_("Give a latitude between -90 and 90.")),
        "longitude": parse_number(form, "longitude", -180, 180, N_("Give a longitude between -180 and 180.")),
        "capacity": parse_capacity(form),
    }
    if not form.is_valid or starts is None:
        return None
    return EventFields(name=name, starts_at=starts, ends_at=ends, timezone=tz, online_url=online,
                       join_mode=join_mode, **fields)  # type: ignore[arg-type]  # fmt: skip


async def organisers(request: web.Request, me: ActorRow) -> list[ActorRow]:
    """Who `me` may organise as: themselves, and the neighbourhoods they moderate."""
    pool = request.app[POOL]
    choices = [me]
    for row in await web_reads.list_neighbourhoods(pool):
        found = await membership_store.membership(pool, row.actor_id, me.id)
        group = await actor_store.actor_by_id(pool, row.actor_id) if found and found.is_moderator else None
        if group is not None:
            choices.append(group)
    return choices


async def member_neighbourhoods(request: web.Request, me: ActorRow) -> list[ActorRow]:
    """The neighbourhoods `me` may hold an event in: accepted member, allowed to post."""
    pool = request.app[POOL]
    choices = []
    for row in await web_reads.list_neighbourhoods(pool):
        found = await membership_store.membership(pool, row.actor_id, me.id)
        if found is None or found.state != "accepted":
            continue
        hood = await neighbourhood_store.neighbourhood_by_actor_id(pool, row.actor_id)
        async with pool.acquire() as conn:
            allowed = hood is not None and await may_post(conn, hood, me) != "refuse"
        group = await actor_store.actor_by_id(pool, row.actor_id) if allowed else None
        if group is not None:
            choices.append(group)
    return choices


def held_in(form: Form, organiser: ActorRow | None, choices: list[ActorRow], visibility: str) -> ActorRow | None:
    """The neighbourhood chosen to hold the event (None: none, or a neighbourhood
    organises it); a choice not in the list or with the wrong visibility fails the field."""
    name = form.value("neighbourhood").strip()
    if not name or organiser is None or organiser.kind == "Group":
        return None
    group = next((g for g in choices if g.username == name), None)
    if group is None:
        form.fail("neighbourhood", N_("Choose a neighbourhood from the list."))
    elif visibility not in event_domain.NEIGHBOURHOOD_VISIBILITIES:
        form.fail("neighbourhood", N_("An event in a neighbourhood is public or unlisted."))
    return group


async def default_timezone(request: web.Request, username: str) -> str:
    group = await actor_store.local_actor(request.app[POOL], username) if username else None
    found = await web_reads.neighbourhood_of(request.app[POOL], group.id) if group else None
    return found.timezone if found and found.timezone else DEFAULT_TIMEZONE


async def compose_context(
    request: web.Request, me: ActorRow, form: Form, action: str, picture: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The template's context; `picture` is the edited event's current picture (picture_of)."""
    return {
        "form": form,
        "action": action,
        "editing": action != COMPOSE_PATH,
        "organisers": await organisers(request, me),
        "neighbourhoods": [] if action != COMPOSE_PATH else await member_neighbourhoods(request, me),
        "join_modes": JOIN_CHOICES,
        "visibilities": VISIBILITY_CHOICES,
        "max_image_kib": request.app[SETTINGS].media_max_bytes // 1024,
        "picture": picture,
        "picture_actions": PICTURE_ACTIONS,
        "time_zones": zone_groups(form.value("timezone")),
    }


async def compose_event_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    neighbourhood = request.query.get("neighbourhood", "")[:40]
    values = {"organiser": neighbourhood, "neighbourhood": neighbourhood}
    form = Form(values={**values, "timezone": await default_timezone(request, neighbourhood)})
    return render(request, "compose_event.html", await compose_context(request, me, form, COMPOSE_PATH))


async def compose_event(request: web.Request) -> web.Response:
    me = await require_resident(request)
    data = await request.post()
    try:
        return await publish_event(request, me, data)
    finally:
        for value in data.values():
            if isinstance(value, web.FileField):
                value.file.close()


def picture_error(content: bytes, max_bytes: int, refusal: str) -> str:
    """The msgid shown next to the image field for a refused picture (as for posts)."""
    if len(content) > max_bytes:
        return TOO_BIG
    if media.sniff_format(content) is None:
        return N_("This file is not an image we accept. Use a JPEG, PNG, WebP or GIF image.")
    if "pixels" in refusal or "frames" in refusal:
        return N_("This image has too many pixels.")
    return N_("This image could not be read.")


def read_picture(request: web.Request, form: Form, data: MultiDictProxy[Any]) -> bytes | None:
    """The chosen picture's bytes (None without one); too big, not an image, or no alt
    text fails its own field at once."""
    image = data.get("image")
    if not isinstance(image, web.FileField) or not image.filename:  # an empty file input sends no bytes
        image = None
    form.limit("alt_text", media.MAX_ALT_TEXT, N_("Use at most 1500 characters."))
    if image is None:
        return None
    max_bytes = request.app[SETTINGS].media_max_bytes
    content = image.file.read(max_bytes + 1)
    if len(content) > max_bytes or media.sniff_format(content) is None:
        form.fail("image", picture_error(content, max_bytes, ""))
    if not form.value("alt_text").strip():
        form.fail("alt_text", N_("Describe the image for people who cannot see it."))
    return content


async def store_picture(request: web.Request, form: Form, organiser: ActorRow, content: bytes) -> int | None:
    """Store the picture (re-encoded) as the organiser's upload; a refusal fails the field."""
    settings = request.app[SETTINGS]
    try:
        row = await media.store_upload(request.app[POOL], settings, organiser, content, form.value("alt_text"))
    except media.MediaRefused as refusal:
        form.fail("image", picture_error(content, settings.media_max_bytes, str(refusal)))
        return None
    return row.id


async def publish_event(request: web.Request, me: ActorRow, data: MultiDictProxy[Any]) -> web.Response:
    form = form_from(data, (*FIELDS, "alt_text"))
    picture = read_picture(request, form, data)
    choices = await organisers(request, me)
    organiser = next((a for a in choices if a.username == (form.value("organiser") or me.username)), None)
    if organiser is None:
        form.fail("organiser", N_("Choose who organises it from the list."))
    visibility = form.value("visibility") or "public"
    if visibility not in {value for value, _ in VISIBILITY_CHOICES}:
        form.fail("visibility", N_("Choose who may see it."))
    group = held_in(form, organiser, await member_neighbourhoods(request, me), visibility)
    fields = parse_event(form)
    media_id = None
    if picture is not None and fields is not None and organiser is not None and form.is_valid:
        media_id = await store_picture(request, form, organiser, picture)
    if fields is None or organiser is None or not form.is_valid:
        if picture is not None:
            form.fail("image", N_("Choose the image again: it is not kept when the form has an error."))
        context = await compose_context(request, me, form, COMPOSE_PATH)
        return render(request, "compose_event.html", context, status=400)
    try:
        row = await event_domain.create_event(
            federating(request),
            organiser,
            fields,
            text_to_html(form.value("description")),
            visibility=visibility,
            media_ids=[media_id] if media_id is not None else [],
            neighbourhood=group,
        )
    except NotAllowed:  # the rights changed since the list was made
        if media_id is not None:
            await discard_uploads(request.app[POOL], request.app[SETTINGS], organiser, [media_id])
        form.fail("neighbourhood", N_("You may not post in this neighbourhood."))
        context = await compose_context(request, me, form, COMPOSE_PATH)
        return render(request, "compose_event.html", context, status=403)
    raise redirect(path_of(request, row.ap_id))


def form_of(fields: EventFields, description_html: str) -> Form:
    tz = zone(fields.timezone)
    values = {
        "name": fields.name,
        "description": html_to_text(description_html),
        "starts": fields.starts_at.astimezone(tz).strftime(LOCAL_TIME),
        "ends": fields.ends_at.astimezone(tz).strftime(LOCAL_TIME) if fields.ends_at else "",
        "timezone": fields.timezone or DEFAULT_TIMEZONE,
        "join_mode": fields.join_mode,
        "capacity": str(fields.capacity) if fields.capacity else "",
        "picture": "keep",
        "current_alt": fields.image_alt or "",
    }
    for name in ("place_name", "street_address", "postal_code", "locality", "online_url", "latitude", "longitude"):
        value = getattr(fields, name)
        values[name] = "" if value is None else str(value)
    return Form(values=values)


async def editable(request: web.Request) -> tuple[ActorRow, ActorRow, str, event_store.EventRow] | None:
    """(me, the organiser I act for, description, event) when I may edit this event."""
    me = await require_resident(request)
    ap_id = Urls(request.app[SETTINGS]).object(request.match_info["uid"])
    obj = await object_store.object_by_ap_id(request.app[POOL], ap_id)
    if obj is None or not obj.is_local or obj.deleted_at is not None or obj.type != "Event":
        return None  # any visibility: only the organiser gets further
    event = await event_store.event_by_ap_id(request.app[POOL], obj.ap_id)
    acting = await organising_actor(request.app[POOL], me, event) if event else None
    if obj is None or event is None or acting is None:
        return None
    return me, acting, obj.content, event


async def edit_event_page(request: web.Request) -> web.Response:
    found = await editable(request)
    if found is None:
        return render_error(request, 404, "not found")
    me, _, description, event = found
    form = form_of(event.fields, description)
    picture = await picture_of(request, event.fields)
    return render(request, "compose_event.html", await compose_context(request, me, form, request.path, picture))


async def edit_event(request: web.Request) -> web.Response:
    found = await editable(request)
    if found is None:
        return render_error(request, 404, "not found")
    data = await request.post()
    try:
        return await save_event(request, found, data)
    finally:
        for value in data.values():
            if isinstance(value, web.FileField):
                value.file.close()


def picture_action(form: Form, old: EventFields, has_file: bool) -> str:
    """What the edit does with the picture: keep (perhaps with new alt text), replace or
    remove; a contradiction fails its field. Choosing a file means replacing."""
    if old.image_url is None:
        return "replace" if has_file else "keep"
    action = form.value("picture") or "keep"
    if action not in {value for value, _ in PICTURE_ACTIONS}:
        form.fail("picture", N_("Choose what happens to the picture."))
        return "keep"
    if action == "remove" and has_file:
        form.fail("picture", N_("Choose a new image or removing the picture, not both."))
    if action == "replace" and not has_file:
        form.fail("image", N_("Choose the new image file."))
    if action == "keep" and has_file:
        action = "replace"
    if action == "keep":
        form.limit("current_alt", media.MAX_ALT_TEXT, N_("Use at most 1500 characters."))
        if old.image_alt and not form.value("current_alt").strip():
            form.fail("current_alt", N_("Describe the image for people who cannot see it."))
    return action


def picture_change(
    form: Form, old: EventFields, action: str, media_id: int | None
) -> event_domain.PictureChange | None:
    """The change for `update_event` (None keeps the picture as it is)."""
    if action == "remove":
        return event_domain.NoPicture()
    if action == "replace":
        return event_domain.NewPicture(media_id) if media_id is not None else None
    alt = " ".join(form.value("current_alt").split())
    return event_domain.NewAltText(alt) if alt and alt != (old.image_alt or "") else None


async def save_event(
    request: web.Request,
    found: tuple[ActorRow, ActorRow, str, event_store.EventRow],
    data: MultiDictProxy[Any],
) -> web.Response:
    me, acting, _, event = found
    old = event.fields
    form = form_from(data, (*FIELDS, *PICTURE_FIELDS))
    if "current_alt" not in data:  # a form without the picture fields leaves the alt text alone
        form.values["current_alt"] = old.image_alt or ""
    picture = read_picture(request, form, data)
    action = picture_action(form, old, picture is not None)
    fields = parse_event(form)
    media_id = None
    if action == "replace" and picture is not None and fields is not None and form.is_valid:
        media_id = await store_picture(request, form, acting, picture)
    if fields is None or not form.is_valid:
        if picture is not None:
            form.fail("image", N_("Choose the image again: it is not kept when the form has an error."))
        context = await compose_context(request, me, form, request.path, await picture_of(request, old))
        return render(request, "compose_event.html", context, status=400)
    fields = replace(fields, status=old.status, reported_participants=old.reported_participants)
    try:
        await event_domain.update_event(
            federating(request),
            acting,
            event.ap_id,
            fields,
            text_to_html(form.value("description")),
            picture=picture_change(form, old, action, media_id),
        )
    except Exception:
        if media_id is not None:  # the new picture did not become the event's
            await discard_uploads(request.app[POOL], request.app[SETTINGS], acting, [media_id])
        raise
    raise redirect(path_of(request, event.ap_id))


def upload_limit(settings: Settings) -> int:
    """The event composer and edit form may carry a picture: the body may be as big as one
    image plus the text."""
    return settings.media_max_bytes + FORM_OVERHEAD


async def picture_too_big(request: web.Request) -> web.StreamResponse:
    """The event composer again, with the error at the image."""
    me = await require_resident(request)
    form = Form(values={"timezone": DEFAULT_TIMEZONE})
    form.fail("image", TOO_BIG)
    return render(request, "compose_event.html", await compose_context(request, me, form, COMPOSE_PATH), status=413)


async def edit_picture_too_big(request: web.Request) -> web.StreamResponse:
    """The edit form again (the event as stored, nothing of the body kept), with the error
    at the image."""
    found = await editable(request)
    if found is None:
        return render_error(request, 404, "not found")
    me, _, description, event = found
    form = form_of(event.fields, description)
    form.fail("image", TOO_BIG)
    picture = await picture_of(request, event.fields)
    context = await compose_context(request, me, form, request.path, picture)
    return render(request, "compose_event.html", context, status=413)


def setup(app: web.Application) -> None:
    allow_upload(app, [COMPOSE_PATH], upload_limit, picture_too_big)
    allow_upload(app, [EDIT_PATH], upload_limit, edit_picture_too_big)
    app.router.add_get(COMPOSE_PATH, compose_event_page)
    app.router.add_post(COMPOSE_PATH, compose_event)
    app.router.add_get(EDIT_PATH, edit_event_page)
    app.router.add_post(EDIT_PATH, edit_event)
