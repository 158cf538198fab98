"""An organisation's area follows on the web (/settings/area-follows): the list (area, how
many neighbourhoods each has followed), a form to follow an area (a name, a box of four
numbers, a point with a radius) and an end button per area follow, with the choice to
unfollow the neighbourhoods it followed as well (server.domain.area_follows).

Only an organisation's account (an Organization actor) follows areas; any other resident
gets a page that says so, with status 403. Refusals are shown next to the field, in the
reader's language."""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from server.appkeys import POOL
from server.domain.area_follows import (
    InvalidArea,
    UnknownAreaFollow,
    area_follows_of,
    end_area_follow,
    start_area_follow,
)
from server.storage.actors import ActorRow
from server.storage.area_follows import BBox, Near
from server.web.access import federating, require_resident
from server.web.forms import N_, Form, read_form
from server.web.templating import redirect, render

PATH = "/settings/area-follows"
FIELDS = ("area_name", "min_lon", "min_lat", "max_lon", "max_lat", "lat", "lon", "radius")
BOX = ("min_lon", "min_lat", "max_lon", "max_lat")
MAX_NUMBER = 40

# The domain's refusals (InvalidArea.field) → the field they are shown at, and the msgid.
INVALID_AREA = {
    "area_name": ("area_name", N_("An area name has 1 to 200 characters.")),
    "area": ("area_name", N_("Give an area name, a box or a point with a radius.")),
    "bbox": (
        "bbox",
        N_("A box runs from west to east between −180 and 180, and from south to north between −90 and 90."),
    ),
    "near": ("near", N_("A point is a latitude from −90 to 90 and a longitude from −180 to 180.")),
    "radius": ("radius", N_("A radius is more than 0 and at most 100000 metres.")),
}


def is_organisation(actor: ActorRow) -> bool:
    return actor.kind == "Organization" and actor.is_local


def _number(form: Form, name: str) -> float | None:
    """The number typed in `name` (a decimal comma is fine), None when empty."""
    text = form.value(name).strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text) if len(text) <= MAX_NUMBER else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        form.fail(name, N_("Enter a number, such as 52.37."))
        return None
    return value


def read_area(form: Form) -> tuple[str | None, BBox | None, Near | None]:
    """The area the form describes; what cannot be read fails on its field."""
    area_name = form.limit("area_name", 200, INVALID_AREA["area_name"][1]).strip() or None
    box = [v for v in (_number(form, name) for name in BOX) if v is not None]
    given = [form.value(name).strip() != "" for name in BOX]
    bbox: BBox | None = None
    if any(given) and not all(given):
        form.fail("bbox", N_("Fill in all four numbers of the box, or none."))
    elif len(box) == len(BOX):
        bbox = (box[0], box[1], box[2], box[3])
    lat, lon, radius = _number(form, "lat"), _number(form, "lon"), _number(form, "radius")
    near: Near | None = None
    point_given = [form.value(name).strip() != "" for name in ("lat", "lon")]
    if any(point_given) and not all(point_given):
        form.fail("near", N_("Fill in both the latitude and the longitude, or neither."))
    elif all(point_given) and lat is not None and lon is not None:
        if form.value("radius").strip() == "":
            form.fail("radius", N_("Give a radius in metres with the point."))
        elif radius is not None:
            near = (lat, lon, radius)
    elif form.value("radius").strip() and not any(point_given):
        form.fail("radius", N_("A radius needs a point: fill in a latitude and a longitude."))
    return area_name, bbox, near


async def _page(request: web.Request, me: ActorRow, form: Form, *, status: int = 200) -> web.Response:
    context: dict[str, Any] = {
        "form": form,
        "area_follows": [],
        "allowed": is_organisation(me),
        "added": None,
        "ended": False,
        "unfollowed": None,
    }
    if context["allowed"]:
        context["area_follows"] = await area_follows_of(request.app[POOL], me)
        if status == 200:
            query = request.query
            context["added"] = _count(query.get("added"))
            context["ended"] = "ended" in query
            context["unfollowed"] = _count(query.get("unfollowed"))
    response = render(request, "area_follows.html", context, status=status if context["allowed"] else 403)
    response.headers["Cache-Control"] = "no-store"
    return response


def _count(text: str | None) -> int | None:
    return int(text) if text is not None and text.isascii() and text.isdigit() and len(text) <= 6 else None


async def area_follows_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    return await _page(request, me, Form())


async def add(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, FIELDS)
    if not is_organisation(me):
        return await _page(request, me, Form())
    area_name, bbox, near = read_area(form)
    if form.is_valid:
        try:
            _, started = await start_area_follow(federating(request), me, area_name, bbox=bbox, near=near)
        except InvalidArea as exc:
            name, message = INVALID_AREA.get(exc.field, INVALID_AREA["area"])
            form.fail(name, message)
        else:
            raise redirect(f"{PATH}?added={len(started)}")
    return await _page(request, me, form, status=400)


async def end(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("unfollow_neighbourhoods",))
    if not is_organisation(me):
        return await _page(request, me, Form())
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise web.HTTPNotFound(text="no such area follow")
    try:
        unfollowed = await end_area_follow(
            federating(request), me, int(text), unfollow_neighbourhoods=form.value("unfollow_neighbourhoods") == "1"
        )
    except UnknownAreaFollow:
        raise web.HTTPNotFound(text="no such area follow") from None
    raise redirect(f"{PATH}?ended=1&unfollowed={unfollowed}")


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, area_follows_page)
    app.router.add_post(PATH, add)
    app.router.add_post(PATH + "/{id}/end", end)
