"""Handles (`name@host`) on the web: WebFinger lookups for search and remote follow.

Lookups use the instance's own scheme (https in production; http only on an instance that
itself runs on http, as tests and local development do), and go through the SSRF-guarded
outbound client."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from activitypub.errors import BadResource
from activitypub.webfinger import REL_SUBSCRIBE, parse_handle, self_link_from_jrd
from federation.fetch import Fetched, fetch_json
from federation.http import HttpClient
from server.config import Settings

JRD_ACCEPT = "application/jrd+json, application/json;q=0.9"


def looks_like_handle(text: str) -> bool:
    try:
        parse_handle(text)
    except BadResource:
        return False
    return True


async def webfinger(client: HttpClient, settings: Settings, handle: str) -> dict[str, Any] | None:
    """The JRD for `handle`, or None (not a handle, not found, refused or unreachable)."""
    try:
        name, host = parse_handle(handle)
    except BadResource:
        return None
    resource = quote(f"acct:{name}@{host}", safe=":@")
    result = await fetch_json(
        client, f"{settings.scheme}://{host}/.well-known/webfinger?resource={resource}", JRD_ACCEPT
    )
    if not isinstance(result, Fetched) or not isinstance(result.document, dict):
        return None
    return result.document


async def actor_id_for_handle(client: HttpClient, settings: Settings, handle: str) -> str | None:
    jrd = await webfinger(client, settings, handle)
    return self_link_from_jrd(jrd) if jrd is not None else None


async def subscribe_url(client: HttpClient, settings: Settings, handle: str, target: str) -> str | None:
    """Where to send a visitor so their own server asks them to follow `target`: their
    server's `http://ostatus.org/schema/1.0/subscribe` template filled in."""
    jrd = await webfinger(client, settings, handle)
    links = jrd.get("links") if jrd else None
    for link in links if isinstance(links, list) else ():
        if not isinstance(link, dict) or link.get("rel") != REL_SUBSCRIBE:
            continue
        template = link.get("template")
        if isinstance(template, str) and "{uri}" in template and template.startswith(("https://", "http://")):
            return template.replace("{uri}", quote(target, safe=""))
    return None
