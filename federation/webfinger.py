"""Resolving a handle (`name@host`) to an actor URL with WebFinger (RFC 7033).

The lookup goes through `federation.fetch.fetch_json`, so the SSRF guard, size and time
caps of the outbound client apply. The answer is trusted only for its own host: the
actor URL must be on the host that was asked, so one server can not claim another
server's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from activitypub.errors import BadResource
from activitypub.webfinger import JRD_MEDIA_TYPE, parse_handle, self_link_from_jrd
from federation.fetch import Fetched, NotFound, fetch_json
from federation.http import HttpClient

ACCEPT = f"{JRD_MEDIA_TYPE}, application/json;q=0.9"


@dataclass(frozen=True)
class Resolved:
    handle: str  # name@host as asked, host lower-cased
    actor_url: str


@dataclass(frozen=True)
class Unresolved:
    """The handle is malformed, unknown, or its server did not answer usefully."""

    handle: str
    reason: str


def webfinger_url(name: str, host: str, scheme: str = "https") -> str:
    resource = quote(f"acct:{name}@{host}", safe=":@")
    return f"{scheme}://{host}/.well-known/webfinger?resource={resource}"


async def resolve_handle(client: HttpClient, handle: str, *, scheme: str = "https") -> Resolved | Unresolved:
    """The actor URL `handle` names, asked of the handle's own host over `scheme`."""
    try:
        name, host = parse_handle(handle)
    except BadResource as exc:
        return Unresolved(handle[:200], exc.public_message)
    asked = f"{name}@{host}"
    result = await fetch_json(client, webfinger_url(name, host, scheme), ACCEPT)
    if isinstance(result, NotFound):
        return Unresolved(asked, "no such account")
    if not isinstance(result, Fetched):
        return Unresolved(asked, f"lookup failed: {type(result).__name__}")
    actor_url = self_link_from_jrd(result.document)
    if actor_url is None:
        return Unresolved(asked, "no ActivityPub actor link")
    if (urlsplit(actor_url).netloc or "").lower() != host:
        # Split domains (handle on one host, actor on another) are not followed: a
        # server may only speak for its own accounts.
        return Unresolved(asked, "actor link is on another host")
    return Resolved(asked, actor_url)
