"""GET /media/{file}: uploaded images, served so that a browser can only ever show them
as images: `X-Content-Type-Options: nosniff`, a CSP that allows nothing (and sandboxes),
`Content-Disposition: inline` with a neutral file name. Media of a deleted post are gone.
"""

from __future__ import annotations

import re

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.media import media_directory
from server.storage import media as media_store

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
    medium = await media_store.media_by_file_name(request.app[POOL], name)
    if medium is None or not await media_store.is_servable(request.app[POOL], name):
        raise web.HTTPNotFound(text="not found", headers=SECURITY_HEADERS)
    path = media_directory(request.app[SETTINGS]) / medium.file_name
    if not path.is_file():
        raise web.HTTPNotFound(text="not found", headers=SECURITY_HEADERS)
    extension = medium.file_name.rsplit(".", 1)[1]
    headers = {
        **SECURITY_HEADERS,
        "Content-Type": medium.media_type,
        "Content-Disposition": f'inline; filename="image.{extension}"',
        "Cache-Control": "public, max-age=86400",
    }
    return web.FileResponse(path, headers=headers)


def setup(app: web.Application) -> None:
    app.router.add_get("/media/{file}", get_media)
