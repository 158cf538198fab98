"""Organiser pages: an instance admin creates a neighbourhood; its moderators edit its
profile and modes, name moderators, decide membership requests, invite, and remove or ban
members. Every handler checks who is asking before it reads anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from server.appkeys import HTTP, POOL, REMOTE, SETTINGS
from server.domain import handles, membership, moderation, neighbourhoods
from server.domain.actors import InvalidName, NameTaken
from server.domain.membership import NotAllowed
from server.storage import actors as actor_store
from server.storage import feeds as feed_store
from server.storage import memberships as membership_store
from server.storage import moderation_views
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.neighbourhoods import NeighbourhoodRow
from server.web.access import federating, require_admin, require_resident
from server.web.forms import N_, Form, read_form
from server.web.sessions import current_actor
from server.web.templating import redirect, render

PROFILE_FIELDS = ("name", "description", "area_name", "boundary", "avatar_url", "banner_url")
MODE_FIELDS = ("membership_mode", "posting_mode")
MAX_HANDLE = 2048


async def moderated_group(request: web.Request) -> tuple[ActorRow, ActorRow, NeighbourhoodRow]:
    """(moderator, group, neighbourhood) for /neighbourhoods/{name}/…: 404 when there is no
    such neighbourhood, 403 when the signed-in resident does not moderate it."""
    me = await require_resident(request)
    pool = request.app[POOL]
    group = await actor_store.local_actor(pool, request.match_info["name"][:100])
    hood = await neighbourhood_store.neighbourhood_by_actor_id(pool, group.id) if group else None
    if group is None or hood is None or group.gone_at is not None:
        raise web.HTTPNotFound(text="no such neighbourhood")
    row = await membership_store.membership(pool, group.id, me.id)
    if row is None or not row.is_moderator:
        raise web.HTTPForbidden(text="moderators of this neighbourhood only")
    return me, group, hood


async def actor_from_text(request: web.Request, text: str) -> ActorRow | None:
    """A local username, `name@host` handle or actor URL → the actor (fetched if remote)."""
    text = text.strip().removeprefix("@")[:MAX_HANDLE]
    settings = request.app[SETTINGS]
    if text.startswith(("https://", "http://")):
        return await request.app[REMOTE].actor(text)
    name, _, host = text.partition("@")
    if not name:
        return None
    if not host or host.lower() == settings.domain.lower():
        return await actor_store.local_actor(request.app[POOL], name)
    if not handles.looks_like_handle(text):
        return None
    ap_id = await handles.actor_id_for_handle(request.app[HTTP], settings, text)
    return await request.app[REMOTE].actor(ap_id) if ap_id else None


# --- creating a neighbourhood (instance admins) --------------------------------------------


async def new_page(request: web.Request) -> web.Response:
    await require_admin(request)
    form = Form(values={"membership_mode": "open", "posting_mode": "members"})
    return render(request, "organiser_new.html", {"form": form})


def profile_changes(form: Form) -> dict[str, Any]:
    """The profile fields of a posted form; a boundary that is not JSON is a field error."""
    changes: dict[str, Any] = {name: form.value(name) for name in PROFILE_FIELDS if name != "boundary"}
    changes.update({name: form.value(name) for name in MODE_FIELDS})
    text = form.value("boundary").strip()
    try:
        changes["boundary"] = orjson.loads(text) if text else None
    except orjson.JSONDecodeError:
        form.fail("boundary", N_("The boundary is not valid JSON."))
    return changes


def check_profile(form: Form, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate with the domain's rules; its refusal is shown next to the field it names."""
    form.require("name")
    for name, limit in neighbourhoods.LIMITS.items():
        form.limit(name, limit)
    if not form.is_valid:
        return {}
    try:
        return neighbourhoods.validated_changes(changes)
    except neighbourhoods.InvalidProfile as refused:
        message = str(refused)
        field = next((f for f in (*MODE_FIELDS, "avatar_url", "banner_url") if message.startswith(f)), "boundary")
        form.fail(field, FIELD_ERRORS[field])
        return {}


FIELD_ERRORS = {
    "boundary": N_("The boundary must be a GeoJSON Polygon or MultiPolygon with closed rings in range."),
    "avatar_url": N_("Give an http(s) address, or leave this empty."),
    "banner_url": N_("Give an http(s) address, or leave this empty."),
    "membership_mode": N_("Choose one of the options."),
    "posting_mode": N_("Choose one of the options."),
}


async def create(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    form = await read_form(request, ("username", *PROFILE_FIELDS, *MODE_FIELDS))
    username = form.require("username")
    changes = check_profile(form, profile_changes(form))
    group = None
    if form.is_valid:
        founder = await actor_store.actor_by_id(request.app[POOL], admin.actor_id)
        try:
            group = await neighbourhoods.create_neighbourhood(federating(request), username, founder=founder, **changes)
        except InvalidName:
            form.fail(
                "username", N_("Use 1 to 30 lower-case letters, digits, '_', '.' or '-'; some names are reserved.")
            )
        except NameTaken:
            form.fail("username", N_("This user name is taken."))
    if group is None:
        return render(request, "organiser_new.html", {"form": form}, status=400)
    raise redirect(f"/neighbourhoods/{group.username}/manage")


# --- managing one neighbourhood (its moderators) -------------------------------------------


def profile_form(group: ActorRow, hood: NeighbourhoodRow) -> Form:
    boundary = orjson.dumps(hood.boundary).decode() if hood.boundary else ""
    return Form(
        values={
            "name": group.name,
            "description": hood.description,
            "area_name": hood.area_name,
            "boundary": boundary,
            "avatar_url": hood.avatar_url or "",
            "banner_url": hood.banner_url or "",
            "membership_mode": hood.membership_mode,
            "posting_mode": hood.posting_mode,
        }
    )


async def manage_context(request: web.Request, group: ActorRow, hood: NeighbourhoodRow, **extra: Any) -> dict[str, Any]:
    pool = request.app[POOL]
    context: dict[str, Any] = {
        "group": group,
        "hood": hood,
        "profile": profile_form(group, hood),
        "invite": Form(),
        "members": await moderation_views.members_in_state(pool, group.id, ("accepted",)),
        "pending": await moderation_views.members_in_state(pool, group.id, ("pending",)),
        "invited": await moderation_views.members_in_state(pool, group.id, ("invited",)),
        "banned": await moderation_views.members_in_state(pool, group.id, ("banned",)),
        "notice": "",
    }
    context.update(extra)
    return context


async def manage_page(request: web.Request) -> web.Response:
    _, group, hood = await moderated_group(request)
    notice = NOTICES.get(next((k for k in NOTICES if k in request.query), ""), "")
    return render(request, "organiser_manage.html", await manage_context(request, group, hood, notice=notice))


NOTICES = {
    "saved": N_("The neighbourhood's profile is saved."),
    "invited": N_("The invitation is sent."),
    "unbanned": N_("The ban is lifted. They may ask to join again."),
}


async def save_profile(request: web.Request) -> web.Response:
    me, group, hood = await moderated_group(request)
    form = await read_form(request, (*PROFILE_FIELDS, *MODE_FIELDS))
    changes = check_profile(form, profile_changes(form))
    if not form.is_valid:
        context = await manage_context(request, group, hood, profile=form)
        return render(request, "organiser_manage.html", context, status=400)
    await neighbourhoods.update_profile(federating(request), me, group, **changes)
    raise redirect(f"/neighbourhoods/{group.username}/manage?saved=1")


async def _member(request: web.Request, group: ActorRow, ap_id: str) -> ActorRow:
    member = await actor_store.actor_by_ap_id(request.app[POOL], ap_id[:MAX_HANDLE])
    if member is None or await membership_store.membership(request.app[POOL], group.id, member.id) is None:
        raise web.HTTPNotFound(text="not a member of this neighbourhood")
    return member


async def set_role(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("member", "role"))
    if form.value("role") not in ("member", "moderator"):
        raise web.HTTPBadRequest(text="role must be member or moderator")
    member = await _member(request, group, form.value("member"))
    if member.id == me.id:
        raise web.HTTPBadRequest(text="you cannot change your own role")
    await membership.set_role(federating(request), me, group, member, form.value("role"))
    raise redirect(f"/neighbourhoods/{group.username}/manage")


async def decide_request(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("member", "decision"))
    if form.value("decision") not in ("approve", "reject"):
        raise web.HTTPBadRequest(text="decision must be approve or reject")
    member = await _member(request, group, form.value("member"))
    approve = form.value("decision") == "approve"
    await membership.decide_pending(federating(request), me, group, member, approve=approve)
    raise redirect(f"/neighbourhoods/{group.username}/manage")


async def invite(request: web.Request) -> web.Response:
    me, group, hood = await moderated_group(request)
    form = await read_form(request, ("handle",))
    handle = form.require("handle", N_("Enter a user name or a handle, like alex@example.social."))
    invitee = await actor_from_text(request, handle) if handle else None
    if handle and (invitee is None or invitee.kind == "Group" or invitee.gone_at is not None):
        form.fail("handle", N_("We could not find this person."))
    if invitee is None or not form.is_valid:
        context = await manage_context(request, group, hood, invite=form)
        return render(request, "organiser_manage.html", context, status=400)
    await membership.invite(federating(request), me, group, invitee)
    raise redirect(f"/neighbourhoods/{group.username}/manage?invited=1")


BAN_DAYS = {"1": 1, "7": 7, "30": 30}  # the manage page's choices; anything else: until lifted


async def remove_member(request: web.Request) -> web.Response:
    me, group, _ = await moderated_group(request)
    form = await read_form(request, ("member", "ban", "reason", "ban_days", "remove_data"))
    member = await _member(request, group, form.value("member"))
    ban = form.value("ban") == "1"
    days = BAN_DAYS.get(form.value("ban_days"))
    until = datetime.now(UTC) + timedelta(days=days) if ban and days else None
    try:
        await moderation.remove_member(
            federating(request),
            me,
            group,
            member,
            ban=ban,
            reason=form.value("reason")[:2000],
            until=until,
            remove_data=ban and form.value("remove_data") == "1",
        )
    except NotAllowed:
        raise web.HTTPBadRequest(text="a moderator cannot remove themselves; leave instead") from None
    raise redirect(f"/neighbourhoods/{group.username}/manage")


async def neighbourhood_extras(request: web.Request, actor: ActorRow, is_neighbourhood: bool) -> dict[str, Any]:
    """For the neighbourhood page: its members count, the institutions that follow it and
    whether the reader moderates it (links to the organiser pages)."""
    if not is_neighbourhood:
        return {"organiser": None}
    pool = request.app[POOL]
    me = await current_actor(request)
    row = await membership_store.membership(pool, actor.id, me.id) if me else None
    return {
        "organiser": {
            "members": await membership_store.count_members(pool, actor.id),
            "institutions": await feed_store.institutions_following(pool, actor.id),
            "moderates": row is not None and row.is_moderator,
        }
    }


def setup(app: web.Application) -> None:
    app.router.add_get("/neighbourhoods/new", new_page)
    app.router.add_post("/neighbourhoods/new", create)
    app.router.add_get("/neighbourhoods/{name}/manage", manage_page)
    app.router.add_post("/neighbourhoods/{name}/manage/profile", save_profile)
    app.router.add_post("/neighbourhoods/{name}/manage/role", set_role)
    app.router.add_post("/neighbourhoods/{name}/manage/request", decide_request)
    app.router.add_post("/neighbourhoods/{name}/manage/invite", invite)
    app.router.add_post("/neighbourhoods/{name}/manage/remove", remove_member)
