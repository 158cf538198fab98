"""GET /.well-known/webfinger (RFC 7033), /.well-known/host-meta (RFC 6415, XRD) and
/.well-known/host-meta.json.

`resource` may be `acct:name@domain` (our domain; the name is case-insensitive), a bare or
@-prefixed handle, or one of our actor or profile URLs. Missing or malformed → 400;
another domain or an unknown name → 404; a gone actor → 410. `rel` parameters filter the
links (RFC 7033 section 4.3). Every answer allows any origin (section 5).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from aiohttp import web

from activitypub.errors import BadResource
from activitypub.webfinger import (
    JRD_MEDIA_TYPE,
    XRD_MEDIA_TYPE,
    build_host_meta_json,
    build_host_meta_xrd,
    build_jrd,
    parse_resource,
)
from server.appkeys import SETTINGS
from server.config import Settings
from server.routes.actors import ACTOR_LOOKUP
from server.routes.negotiation import body_response, json_body_response
from server.storage.actors import ActorRow
from server.urls import INSTANCE_ACTOR_USERNAME, Urls

CORS = {"Access-Control-Allow-Origin": "*"}
JRD_UTF8 = f"{JRD_MEDIA_TYPE}; charset=utf-8"


def jrd_error(status: int, message: str) -> web.Response:
    return json_body_response({"error": message}, JRD_UTF8, status=status, headers=CORS)


def username_from_url(url: str, settings: Settings) -> str | None:
    """The local username an actor or profile URL of ours names, if it names one."""
    base = urlsplit(settings.base_url)
    parts = urlsplit(url)
    if parts.scheme.lower() != base.scheme or parts.netloc.lower() != base.netloc.lower():
        return None
    path = parts.path
    if path == "/actor":
        return INSTANCE_ACTOR_USERNAME
    for prefix in ("/actors/", "/@"):
        if path.startswith(prefix):
            name = unquote(path[len(prefix) :])
            return name if name and "/" not in name else None
    return None


async def webfinger(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    resource = request.query.get("resource")
    if not resource:
        return jrd_error(400, "the resource parameter is required")
    try:
        parsed = parse_resource(resource, [settings.domain])
    except BadResource:
        return jrd_error(400, "malformed resource")
    if not parsed.is_local:
        return jrd_error(404, "not a resource of this server")
    if parsed.kind == "acct":
        username = parsed.username
    else:
        username = username_from_url(parsed.url or "", settings)
    if not username:
        return jrd_error(404, "no such resource")
    found = await request.app[ACTOR_LOOKUP].get(username.lower())
    if found is None:
        return jrd_error(404, "no such account")
    if found.row.actor.gone_at is not None:
        return jrd_error(410, "this account is gone")
    rels = request.query.getall("rel", [])
    if rels:
        jrd = account_jrd(found.row.actor, settings)
        jrd["links"] = [link for link in jrd["links"] if link.get("rel") in rels]
        return json_body_response(jrd, JRD_UTF8, headers=CORS)
    body = found.rendered("jrd", lambda row: orjson.dumps(account_jrd(row.actor, settings)))
    return body_response(body, JRD_UTF8, headers=CORS)


def account_jrd(actor: ActorRow, settings: Settings) -> dict[str, Any]:
    """The JRD of a local account: its actor, profile page and remote-follow template."""
    urls = Urls(settings)
    profile = actor.url or urls.profile(actor.username)
    return build_jrd(
        subject=f"acct:{actor.username}@{settings.domain}",
        actor_url=actor.ap_id,
        profile_url=profile,
        subscribe_template=urls.subscribe_template(),
        aliases=(actor.ap_id, profile),
    )


async def host_meta(request: web.Request) -> web.Response:
    body = build_host_meta_xrd(request.app[SETTINGS].base_url)
    headers = {"Content-Type": f"{XRD_MEDIA_TYPE}; charset=utf-8", **CORS}
    return web.Response(text=body, headers=headers)


async def host_meta_json(request: web.Request) -> web.Response:
    doc = build_host_meta_json(request.app[SETTINGS].base_url)
    return json_body_response(doc, JRD_UTF8, headers=CORS)


def setup(app: web.Application) -> None:
    app.router.add_get("/.well-known/webfinger", webfinger)
    app.router.add_get("/.well-known/host-meta", host_meta)
    app.router.add_get("/.well-known/host-meta.json", host_meta_json)
