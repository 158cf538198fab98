"""The composer: text, title (an Article), content warning, language, who may see it
(neighbourhood members included), the neighbourhood to post to, and one image with its
alt text (multipart form; the image is re-encoded by server.domain.media, never echoed
back). Errors show next to their field, in the reader's language, keeping what was typed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server.appkeys import POOL, SETTINGS
from server.domain import media
from server.domain.compose import ARTICLE_MAX_CHARS, NOTE_MAX_CHARS, Draft, PostRefused, publish_draft
from server.domain.membership import may_post
from server.domain.post_fields import MAX_SUMMARY, MAX_TITLE, is_language_tag
from server.routes.pages_posts import page_path, visible_post
from server.storage import actors as actor_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.web.access import federating, require_resident
from server.web.csrf import csrf_middleware
from server.web.forms import N_, Form, form_from
from server.web.sessions import Handler
from server.web.templating import language_of, redirect, render

COMPOSE_PATH = "/compose"
FIELDS = ("content", "title", "summary", "language", "neighbourhood", "visibility", "in_reply_to", "alt_text")
FORM_OVERHEAD = 256 * 1024  # the text fields of a composer form besides the image
VISIBILITY_CHOICES = (
    ("public", N_("Public: everyone")),
    ("unlisted", N_("Unlisted: everyone with the link, not on public pages")),
    ("followers", N_("Followers only")),
    ("members", N_("Members of the neighbourhood only")),
    ("direct", N_("Only the people I mention")),
)
TOO_BIG = N_("This image is too big.")


async def compose_context(request: web.Request, form: Form) -> dict[str, object]:
    settings = request.app[SETTINGS]
    return {
        "form": form,
        "neighbourhoods": await web_reads.list_neighbourhoods(request.app[POOL]),
        "visibilities": VISIBILITY_CHOICES,
        "max_image_kib": settings.media_max_bytes // 1024,
    }


async def compose_page(request: web.Request) -> web.Response:
    await require_resident(request)
    values = {
        "neighbourhood": request.query.get("neighbourhood", "")[:40],
        "in_reply_to": request.query.get("in_reply_to", "")[:2048],
        "language": language_of(request),
        "visibility": "public",
    }
    return render(request, "compose.html", await compose_context(request, Form(values=values)))


def uploaded_image(data: MultiDictProxy[Any]) -> web.FileField | None:
    """The image of the form, when one was chosen (an empty file input sends no bytes)."""
    field = data.get("image")
    if isinstance(field, web.FileField) and field.filename:
        return field
    return None


async def check_neighbourhood(request: web.Request, form: Form, me: ActorRow) -> ActorRow | None:
    """The chosen neighbourhood (a local Group the resident may post in), or None."""
    if not form.value("neighbourhood"):
        if form.value("visibility") == "members":
            form.fail("neighbourhood", "Members-only posts need a neighbourhood.")
        return None
    pool = request.app[POOL]
    group = await actor_store.local_actor(pool, form.value("neighbourhood"))
    hood = await neighbourhood_store.neighbourhood_by_actor_id(pool, group.id) if group else None
    if group is None or group.kind != "Group" or hood is None:
        form.fail("neighbourhood", "Choose a neighbourhood from the list.")
        return None
    async with pool.acquire() as conn:
        if await may_post(conn, hood, me) == "refuse":
            form.fail("neighbourhood", "You may not post in this neighbourhood.")
    return group


async def check_fields(request: web.Request, form: Form, me: ActorRow, has_image: bool) -> ActorRow | None:
    if not has_image:
        form.require("content", "Write something first.")
    if form.value("title").strip():
        form.limit("content", ARTICLE_MAX_CHARS, "An article has at most 50000 characters.")
    else:
        form.limit("content", NOTE_MAX_CHARS, "A post has at most 5000 characters.")
    form.limit("title", MAX_TITLE, "Use at most 300 characters.")
    form.limit("summary", MAX_SUMMARY, "Use at most 500 characters.")
    form.limit("alt_text", media.MAX_ALT_TEXT, "Use at most 1500 characters.")
    language = form.value("language").strip()
    if language and not is_language_tag(language):
        form.fail("language", "Use a language code such as nl or en.")
    if form.value("visibility") not in {v for v, _ in VISIBILITY_CHOICES}:
        form.fail("visibility", "Choose who may see it.")
    reply_to = form.value("in_reply_to").strip()
    if reply_to and await visible_post(request, reply_to, me) is None:
        form.fail("content", "The post you reply to is not there any more.")
    if has_image and not form.value("alt_text").strip():
        form.fail("alt_text", "Describe the image for people who cannot see it.")
    return await check_neighbourhood(request, form, me)


def media_error(data: bytes, max_bytes: int, refusal: str) -> str:
    """The msgid shown next to the image field for a refused upload."""
    if len(data) > max_bytes:
        return TOO_BIG
    if media.sniff_format(data) is None:
        return N_("This file is not an image we accept. Use a JPEG, PNG, WebP or GIF image.")
    if "pixels" in refusal or "frames" in refusal:
        return N_("This image has too many pixels.")
    return N_("This image could not be read.")


async def store_image(request: web.Request, form: Form, me: ActorRow, image: web.FileField) -> int | None:
    settings = request.app[SETTINGS]
    data = image.file.read(settings.media_max_bytes + 1)
    try:
        row = await media.store_upload(request.app[POOL], settings, me, data, form.value("alt_text"))
    except media.MediaRefused as refusal:
        form.fail("image", media_error(data, settings.media_max_bytes, str(refusal)))
        return None
    return row.id


async def compose(request: web.Request) -> web.Response:
    me = await require_resident(request)
    data = await request.post()
    try:
        return await publish_from_form(request, me, data)
    finally:
        for value in data.values():
            if isinstance(value, web.FileField):
                value.file.close()


async def publish_from_form(request: web.Request, me: ActorRow, data: MultiDictProxy[Any]) -> web.Response:
    form = form_from(data, FIELDS)
    form.values["visibility"] = form.value("visibility") or "public"
    image = uploaded_image(data)
    group = await check_fields(request, form, me, image is not None)
    media_id = await store_image(request, form, me, image) if image is not None and form.is_valid else None
    if image is not None and not form.is_valid:
        form.fail("image", "Choose the image again: it is not kept when the form has an error.")
    if not form.is_valid:
        return render(request, "compose.html", await compose_context(request, form), status=400)
    draft = Draft(
        text=form.value("content"),
        visibility=form.value("visibility"),
        title=form.value("title").strip() or None,
        summary=form.value("summary").strip() or None,
        language=form.value("language").strip() or None,
        in_reply_to=form.value("in_reply_to").strip() or None,
        neighbourhood=group.ap_id if group else None,
        media_ids=(media_id,) if media_id is not None else (),
    )
    try:
        row = await publish_draft(federating(request), me, draft)
    except PostRefused:
        form.fail("content", "This post could not be published. Check the fields and try again.")
        return render(request, "compose.html", await compose_context(request, form), status=400)
    raise redirect(page_path(request, row))


@web.middleware
async def upload_size_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A composer form may carry an image: it may be bigger than other requests, and a
    body bigger still gets the composer back with the error next to the image field."""
    if request.method != "POST" or request.path != COMPOSE_PATH or request.content_type != "multipart/form-data":
        return await handler(request)
    limit = request.app[SETTINGS].media_max_bytes + FORM_OVERHEAD
    try:
        return await handler(request.clone(client_max_size=limit))
    except web.HTTPRequestEntityTooLarge:
        form = Form(values={"visibility": "public"})
        form.fail("image", TOO_BIG)
        return render(request, "compose.html", await compose_context(request, form), status=413)


def setup(app: web.Application) -> None:
    position = app.middlewares.index(csrf_middleware) if csrf_middleware in app.middlewares else 0
    app.middlewares.insert(position, upload_size_middleware)
    app.router.add_get(COMPOSE_PATH, compose_page)
    app.router.add_post(COMPOSE_PATH, compose)
