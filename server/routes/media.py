"""GET /media/{file}: uploaded images, served so that a browser can only ever show them
as images: `X-Content-Type-Options: nosniff`, a CSP that allows nothing (and sandboxes),
`Content-Disposition: inline` with a neutral file name. Media of a deleted post are gone,
except an event picture that something else still shows (another event, an actor's icon or
header): it is served as long as that lasts, never to more readers than before.

Media of public and unlisted posts are served to anyone and may be cached publicly. Media
of other posts (followers only, members only, direct) are served only to a reader who may
read the post — signed in, or on a request signed by such an actor — and never cached by
shared caches; anyone else gets 404, as for a file that does not exist.
"""

from __future__ import annotations

import re

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.media import media_directory
from server.routes.authorized_fetch import SIGNED_BY, is_signed, verified_owner
from server.storage import actors as actor_store
from server.storage import media as media_store
from server.urls import Urls
from server.web.sessions import current_actor

_FILE_NAME = re.compile(r"[A-Za-z0-9_-]{16,64}\.(?:jpg|png|webp|gif)")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Referrer-Policy": "no-referrer",
}


async def get_media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["file"]
    if not _FILE_NAME.fullmatch(name):
        raise web.HTTPNotFound(text="not found", headers=SECURITY_HEADERS)
    pool = request.app[POOL]
    medium = await media_store.media_by_file_name(pool, name)
    url = Urls(request.app[SETTINGS]).media(name)
    access = await media_store.media_access(pool, name, None, url) if medium is not None else None
    if medium is not None and access is None:
        access = await media_store.media_access(pool, name, await _viewer_id(request), url)
    if medium is None or access is None:
        raise web.HTTPNotFound(text="not found", headers=SECURITY_HEADERS)
    path = media_directory(request.app[SETTINGS]) / medium.file_name
    if not path.is_file():
        raise web.HTTPNotFound(text="not found", headers=SECURITY_HEADERS)
    extension = medium.file_name.rsplit(".", 1)[1]
    headers = {
        **SECURITY_HEADERS,
        "Content-Type": medium.media_type,
        "Content-Disposition": f'inline; filename="image.{extension}"',
        "Cache-Control": "public, max-age=86400" if access == "public" else "private, no-store",
    }
    return web.FileResponse(path, headers=headers)


async def _viewer_id(request: web.Request) -> int | None:
    """The signed-in actor, or the actor whose valid signature is on the request."""
    actor = await current_actor(request)
    if actor is not None:
        return actor.id
    signer = request.get(SIGNED_BY) or (await verified_owner(request) if is_signed(request) else None)
    found = await actor_store.actor_by_ap_id(request.app[POOL], signer) if signer else None
    return found.id if found is not None else None


def setup(app: web.Application) -> None:
    app.router.add_get("/media/{file}", get_media)
