"""Bigger request bodies for the few forms that carry a file. Each such form registers its
path (or its route's pattern, like /objects/{uid}/edit) with `allow_upload`; one
middleware (before the CSRF check reads the form) raises the body limit for a POST to
that path and, when the body is bigger still, lets the form answer with its own page and
the error next to the file field. Every other request keeps the application's limit and
passes after a dictionary lookup or two."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiohttp import web

from server.appkeys import SETTINGS
from server.config import Settings
from server.web.csrf import csrf_middleware
from server.web.sessions import Handler

TooLarge = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class UploadLimit:
    max_bytes: Callable[[Settings], int]  # the whole body, file and fields
    too_large: TooLarge  # the form's answer to a bigger body (413)
    multipart_only: bool  # other bodies to the path keep the application's limit


UPLOAD_LIMITS = web.AppKey("upload_limits", dict[str, UploadLimit])


def allow_upload(
    app: web.Application,
    paths: Iterable[str],
    max_bytes: Callable[[Settings], int],
    too_large: TooLarge,
    *,
    multipart_only: bool = True,
) -> None:
    """Let POSTs to `paths` carry up to max_bytes(settings)."""
    limits = app.get(UPLOAD_LIMITS)
    if limits is None:
        limits = app[UPLOAD_LIMITS] = {}
        position = app.middlewares.index(csrf_middleware) if csrf_middleware in app.middlewares else 0
        app.middlewares.insert(position, upload_limits)
    for path in paths:
        limits[path] = UploadLimit(max_bytes, too_large, multipart_only)


@web.middleware
async def upload_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method != "POST":
        return await handler(request)
    limits = request.app[UPLOAD_LIMITS]
    limit = limits.get(request.path)
    if limit is None:  # a route with a variable part is registered by its pattern
        resource = request.match_info.route.resource
        limit = limits.get(resource.canonical) if resource is not None else None
    if limit is None or (limit.multipart_only and request.content_type != "multipart/form-data"):
        return await handler(request)
    try:
        return await handler(request.clone(client_max_size=limit.max_bytes(request.app[SETTINGS])))
    except web.HTTPRequestEntityTooLarge:
        return await limit.too_large(request)
