"""The JSON API of the signed-in organisation's area follows: GET /api/v1/area-follows
lists them, POST /api/v1/area-follows follows an area, DELETE /api/v1/area-follows/{id}
ends one (with `?unfollow_neighbourhoods=true`, also unfollowing the neighbourhoods it
followed). Described in server/api_openapi.py; the domain is server.domain.area_follows.

The caller is the account signed in with the session cookie (the same as the web pages'):
401 without one, 403 for an account that is not an organisation's. Because the cookie goes
along by itself, a change must come as `Content-Type: application/json` (POST, else 415) or
DELETE, which other sites' pages cannot send without a CORS preflight, and the API's CORS
answer allows only GET; a form post is refused by the CSRF check (403), and so is a request
whose Origin is another site's.
Answers are `Cache-Control: no-store`."""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.area_follows import (
    InvalidArea,
    UnknownAreaFollow,
    area_follows_of,
    end_area_follow,
    start_area_follow,
)
from server.errors import json_error
from server.storage.actors import ActorRow
from server.storage.area_follows import AreaFollow, AreaFollowListed, BBox, Near
from server.web.access import federating
from server.web.sessions import current_actor

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PATH = "/api/v1/area-follows"
MAX_BODY = 4096
NO_STORE = {"Cache-Control": "no-store"}


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def area_json(area: AreaFollow) -> dict[str, Any]:
    near = area.near
    return {
        "id": area.id,
        "area_name": area.area_name,
        "bbox": list(area.bbox) if area.bbox is not None else None,
        "near": {"lat": near[0], "lon": near[1], "radius": near[2]} if near is not None else None,
    }


def listed_json(listed: AreaFollowListed) -> dict[str, Any]:
    return {
        **area_json(listed.area),
        "created_at": listed.created_at.isoformat(),
        "followed": listed.followed,
        "would_unfollow": listed.own,
    }


async def _organisation(request: web.Request, *, changes: bool) -> ActorRow:
    me = await current_actor(request)
    if me is None:
        raise Refusal(401, "sign in first (the session cookie of the web pages)")
    if changes:
        origin = request.headers.get("Origin")
        if origin is not None and origin.rstrip("/") != request.app[SETTINGS].base_url.rstrip("/"):
            raise Refusal(403, "requests from other sites are refused")
    if me.kind != "Organization" or not me.is_local:
        raise Refusal(403, "only an organisation's account can follow areas")
    return me


def _numbers(value: Any, count: int, name: str) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        or not all(math.isfinite(v) for v in value)
    ):
        raise Refusal(400, f"{name} must be {count} finite numbers")
    return [float(v) for v in value]


def read_area(body: Any) -> tuple[str | None, BBox | None, Near | None]:
    """The area of a POST body {"area_name", "bbox": [4 numbers], "near": {"lat", "lon", "radius"}}."""
    if not isinstance(body, dict):
        raise Refusal(400, "the body must be a JSON object")
    unknown = set(body) - {"area_name", "bbox", "near"}
    if unknown:
        raise Refusal(400, f"unknown field {sorted(unknown)[0][:40]!r}")
    area_name = body.get("area_name")
    if area_name is not None and not isinstance(area_name, str):
        raise Refusal(400, "area_name must be a string")
    bbox: BBox | None = None
    if body.get("bbox") is not None:
        a, b, c, d = _numbers(body["bbox"], 4, "bbox")
        bbox = (a, b, c, d)
    near: Near | None = None
    if body.get("near") is not None:
        point = body["near"]
        if not isinstance(point, dict) or set(point) != {"lat", "lon", "radius"}:
            raise Refusal(400, "near must be an object with lat, lon and radius")
        lat, lon, radius = _numbers([point["lat"], point["lon"], point["radius"]], 3, "near")
        near = (lat, lon, radius)
    return area_name, bbox, near


async def _body(request: web.Request) -> Any:
    if request.content_type != "application/json":
        raise Refusal(415, "send the area as application/json")
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Refusal(413, f"the body is larger than {MAX_BODY} bytes")
    raw = bytearray()
    while chunk := await request.content.read(MAX_BODY + 1 - len(raw)):
        raw += chunk
        if len(raw) > MAX_BODY:
            raise Refusal(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        return orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise Refusal(400, "the body is not JSON") from None


async def list_area_follows(request: web.Request) -> web.Response:
    me = await _organisation(request, changes=False)
    listed = await area_follows_of(request.app[POOL], me)
    return web.json_response({"items": [listed_json(a) for a in listed]}, headers=NO_STORE)


async def create_area_follow(request: web.Request) -> web.Response:
    me = await _organisation(request, changes=True)
    area_name, bbox, near = read_area(await _body(request))
    try:
        area, started = await start_area_follow(federating(request), me, area_name, bbox=bbox, near=near)
    except InvalidArea as exc:
        raise Refusal(400, str(exc)) from None
    body = {"area_follow": area_json(area), "new_follows": started}
    return web.json_response(body, status=201, headers=NO_STORE)


async def delete_area_follow(request: web.Request) -> web.Response:
    me = await _organisation(request, changes=True)
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
        raise Refusal(404, "no such area follow")
    choice = request.query.get("unfollow_neighbourhoods", "false")
    if choice not in ("true", "false"):
        raise Refusal(400, "unfollow_neighbourhoods must be true or false")
    try:
        unfollowed = await end_area_follow(federating(request), me, int(text), unfollow_neighbourhoods=choice == "true")
    except UnknownAreaFollow:
        raise Refusal(404, "no such area follow") from None
    return web.json_response({"ended": int(text), "unfollowed": unfollowed}, headers=NO_STORE)


def answering_refusals(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refusal as exc:
            return json_error(exc.status, exc.message, NO_STORE)

    return wrapped


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, answering_refusals(list_area_follows))
    app.router.add_post(PATH, answering_refusals(create_area_follow))
    app.router.add_delete(PATH + "/{id}", answering_refusals(delete_area_follow))
