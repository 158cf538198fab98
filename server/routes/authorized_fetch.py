"""Authorized fetch: signed GETs, and no documents for blocked domains.

A middleware (installed by `setup`). For GET/HEAD:

* a request signed by a blocked actor or domain gets 403, whether `authorized_fetch` is on
  or off. With the setting off, the check uses the keyId's actor URL as given (no key is
  fetched just to refuse someone); with it on, the verified key's owner.
* with `settings.authorized_fetch` on, every request that will be answered with AS2 needs a
  valid HTTP signature (draft-cavage or RFC 9421) else 401 — except handlers marked
  `@public_document` (actor documents, the instance actor: a remote server must be able
  to fetch our keys to verify us, and its instance actor to sign its own fetches).
  Handlers marked `@as2_only` answer AS2 whatever the Accept header says, so they are
  always protected; the rest are protected when the client asks for AS2.

The verified owner is kept in `request[SIGNED_BY]` (a `web.RequestKey`) for handlers
(e.g. per-recipient access to followers-only objects, not done yet).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, Literal, TypeVar

from aiohttp import web

from activitypub.request_signing import HttpRequestParts, signature_key_id, verify_request
from server.appkeys import REMOTE, SETTINGS
from server.remote import utcnow
from server.routes.negotiation import activity_error, wants_activity_json

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
F = TypeVar("F", bound=Callable[..., Any])
Mark = Literal["public", "as2_only"]
_MARK = "_buurtplein_fetch_policy"
SIGNED_BY = web.RequestKey("signed_by", str)
_READ_METHODS = frozenset({"GET", "HEAD"})


def public_document(handler: F) -> F:
    """Mark a handler whose AS2 answer anyone may fetch unsigned (actor documents)."""
    setattr(handler, _MARK, "public")
    return handler


def as2_only(handler: F) -> F:
    """Mark a handler that answers AS2 whatever the Accept header (collections)."""
    setattr(handler, _MARK, "as2_only")
    return handler


def fetch_policy(request: web.Request) -> Mark | None:
    mark: Mark | None = getattr(request.match_info.handler, _MARK, None)
    return mark


def is_signed(request: web.Request) -> bool:
    headers = request.headers
    return (
        "Signature" in headers
        or "Signature-Input" in headers
        or (headers.get("Authorization", "")[:10].lower() == "signature ")
    )


def request_parts(request: web.Request, base_url: str) -> HttpRequestParts:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return HttpRequestParts(method=request.method, url=base_url + request.path_qs, headers=headers, body=b"")


def _refused(status: int, message: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Signature realm="buurtplein"'} if status == 401 else None
    return activity_error(status, message, headers=headers)


async def verified_owner(request: web.Request) -> str | None:
    """The actor whose key signed this request, when the signature verifies; else None."""
    settings = request.app[SETTINGS]
    parts = request_parts(request, settings.base_url)
    found = signature_key_id(parts)
    if found is None:
        return None
    key_id, _scheme = found
    resolver = request.app[REMOTE]
    skew = timedelta(seconds=settings.signature_max_skew_seconds)
    for refresh in (False, True):  # a failure may be a rotated key: refetch once
        key = await resolver.resolve(key_id, refresh=refresh)
        if key is None:
            return None
        result = verify_request(parts, key.public_key, now=utcnow(), max_skew=skew)
        if result.ok:
            return key.owner
        log.info("signed fetch refused", extra={"key_id": key_id, "reason": result.reason})
    return None


@web.middleware
async def authorized_fetch(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in _READ_METHODS:
        return await handler(request)
    settings = request.app[SETTINGS]
    policy = fetch_policy(request)
    needs_signature = (
        settings.authorized_fetch and policy != "public" and (policy == "as2_only" or wants_activity_json(request))
    )
    if needs_signature:
        owner = await verified_owner(request) if is_signed(request) else None
        if owner is None:
            return _refused(401, "this server requires signed fetches")
        if await request.app[REMOTE].is_blocked(owner):
            return _refused(403, "forbidden")
        request[SIGNED_BY] = owner
    elif is_signed(request):
        found = signature_key_id(request_parts(request, settings.base_url))
        if found is not None and await request.app[REMOTE].is_blocked(found[0].split("#", 1)[0]):
            return _refused(403, "forbidden")
    return await handler(request)


def setup(app: web.Application) -> None:
    """Install the middleware; call before the application starts."""
    app.middlewares.append(authorized_fetch)
