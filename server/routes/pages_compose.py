"""The composer: text, title (an Article), content warning, language, who may see it
(neighbourhood members included), the neighbourhood to post to, and up to four images, each with its
own alt text (multipart form; images are re-encoded by server.domain.media, never echoed
back). Errors show next to their field, in the reader's language, keeping what was typed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server.appkeys import POOL, SETTINGS
from server.config import Settings
from server.domain import media
from server.domain.compose import ARTICLE_MAX_CHARS, NOTE_MAX_CHARS, Draft, PostRefused, publish_draft
from server.domain.membership import may_post
from server.domain.post_fields import MAX_SUMMARY, MAX_TITLE, is_language_tag
from server.domain.posts import MAX_ATTACHMENTS
from server.domain.upload_discard import discard_uploads
from server.routes.pages_posts import page_path, visible_post
from server.routes.pages_thread_locks import LOCKED_REPLY
from server.storage import actors as actor_store
from server.storage import group_federation as group_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.web.access import federating, require_resident
from server.web.forms import N_, Form, form_from
from server.web.templating import language_of, redirect, render
from server.web.upload_limits import allow_upload

COMPOSE_PATH = "/compose"
# (file field, alt text field) of each image slot; the first keeps the one-image names
IMAGE_SLOTS = tuple(
    ("image", "alt_text") if n == 1 else (f"image_{n}", f"alt_text_{n}") for n in range(1, MAX_ATTACHMENTS + 1)
)
FIELDS = (
    "content",
    "title",
    "summary",
    "language",
    "neighbourhood",
    "visibility",
    "in_reply_to",
    *(alt for _, alt in IMAGE_SLOTS),
)
FORM_OVERHEAD = 256 * 1024  # the text fields of a composer form besides the images
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
        "image_slots": IMAGE_SLOTS,
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


def uploaded_image(data: MultiDictProxy[Any], name: str = "image") -> web.FileField | None:
    """The image in file field `name`, when one was chosen (an empty file input sends no bytes)."""
    field = data.get(name)
    if isinstance(field, web.FileField) and field.filename:
        return field
    return None


def uploaded_images(data: MultiDictProxy[Any]) -> list[tuple[str, str, web.FileField]]:
    """(file field, alt text field, file) of each image slot with an image chosen."""
    found = []
    for name, alt in IMAGE_SLOTS:
        image = uploaded_image(data, name)
        if image is not None:
            found.append((name, alt, image))
    return found


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


async def check_fields(request: web.Request, form: Form, me: ActorRow, image_alts: tuple[str, ...]) -> ActorRow | None:
    """Check every field; `image_alts` names the alt text fields of the slots with an image."""
    if not image_alts:
        form.require("content", "Write something first.")
    if form.value("title").strip():
        form.limit("content", ARTICLE_MAX_CHARS, "An article has at most 50000 characters.")
    else:
        form.limit("content", NOTE_MAX_CHARS, "A post has at most 5000 characters.")
    form.limit("title", MAX_TITLE, "Use at most 300 characters.")
    form.limit("summary", MAX_SUMMARY, "Use at most 500 characters.")
    for _, alt in IMAGE_SLOTS:
        form.limit(alt, media.MAX_ALT_TEXT, "Use at most 1500 characters.")
    language = form.value("language").strip()
    if language and not is_language_tag(language):
        form.fail("language", "Use a language code such as nl or en.")
    if form.value("visibility") not in {v for v, _ in VISIBILITY_CHOICES}:
        form.fail("visibility", "Choose who may see it.")
    reply_to = form.value("in_reply_to").strip()
    if reply_to and await visible_post(request, reply_to, me) is None:
        form.fail("content", "The post you reply to is not there any more.")
    elif reply_to and await group_store.is_locked(request.app[POOL], reply_to):
        form.fail("content", LOCKED_REPLY)
    for alt in image_alts:
        if not form.value(alt).strip():
            form.fail(alt, "Describe the image for people who cannot see it.")
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


def read_images(request: web.Request, form: Form, images: list[tuple[str, str, web.FileField]]) -> list[bytes]:
    """The bytes of each chosen image; too big or not an image fails its own field at once
    (before anything is stored)."""
    max_bytes = request.app[SETTINGS].media_max_bytes
    found = []
    for name, _, image in images:
        data = image.file.read(max_bytes + 1)
        if len(data) > max_bytes or media.sniff_format(data) is None:
            form.fail(name, media_error(data, max_bytes, ""))
        found.append(data)
    return found


async def store_images(
    request: web.Request, form: Form, me: ActorRow, images: list[tuple[str, str, web.FileField]], data: list[bytes]
) -> list[int]:
    """Store each image (re-encoded); a refused one fails its own field, and then the
    images of this submission stored before it are taken back (rows and files)."""
    settings = request.app[SETTINGS]
    ids: list[int] = []
    try:
        for (name, alt, _), content in zip(images, data, strict=True):
            try:
                row = await media.store_upload(request.app[POOL], settings, me, content, form.value(alt))
            except media.MediaRefused as refusal:
                form.fail(name, media_error(content, settings.media_max_bytes, str(refusal)))
                continue
            ids.append(row.id)
    except Exception:
        await discard_uploads(request.app[POOL], settings, me, ids)
        raise
    if not form.is_valid:
        await discard_uploads(request.app[POOL], settings, me, ids)
        return []
    return ids


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
    images = uploaded_images(data)
    group = await check_fields(request, form, me, tuple(alt for _, alt, _ in images))
    contents = read_images(request, form, images)
    media_ids = await store_images(request, form, me, images, contents) if form.is_valid else []
    if images and not form.is_valid:
        for name, _, _ in images:
            form.fail(name, "Choose the image again: it is not kept when the form has an error.")
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
        media_ids=tuple(media_ids),
    )
    try:
        row = await publish_draft(federating(request), me, draft)
    except PostRefused:
        await discard_uploads(request.app[POOL], request.app[SETTINGS], me, media_ids)
        form.fail("content", "This post could not be published. Check the fields and try again.")
        return render(request, "compose.html", await compose_context(request, form), status=400)
    except Exception:
        await discard_uploads(request.app[POOL], request.app[SETTINGS], me, media_ids)
        raise
    raise redirect(page_path(request, row))


def upload_limit(settings: Settings) -> int:
    """A composer form may carry images: its body may be as big as all of them plus the text."""
    return settings.media_max_bytes * MAX_ATTACHMENTS + FORM_OVERHEAD


async def image_too_big(request: web.Request) -> web.StreamResponse:
    """The composer again, with the error next to the image field."""
    form = Form(values={"visibility": "public"})
    form.fail("image", TOO_BIG)
    return render(request, "compose.html", await compose_context(request, form), status=413)


def setup(app: web.Application) -> None:
    allow_upload(app, [COMPOSE_PATH], upload_limit, image_too_big)
    app.router.add_get(COMPOSE_PATH, compose_page)
    app.router.add_post(COMPOSE_PATH, compose)
