"""The organiser changes an event's picture from the edit form (a multipart form like the
composer): keep it (shown with its alt text), give it new alt text, replace it or remove
it; errors next to their field (no alt text, not an image, no file, a body too big: 413);
the page, its og:image and the AS2 document show the change at once, the old file leaves
the disk, and a following server's copy shows the new picture."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import aiohttp

from server.domain.actors import create_local_actor
from server.domain.media import media_directory
from server.storage import actors as actor_store
from server.storage import events as event_store
from tests.harness import PEER_ADDRESSES, Instance, wait_for
from tests.resilience.crawl import meta_tags
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_admin_pages import post_event_form
from tests.server.web.test_event_pages import event_form
from tests.server.web.test_remote_event_pages import follow, link_of
from tests.server.web.test_upload_pages import gps_jpeg

AS2 = {"Accept": "application/activity+json"}
IMG = re.compile(r'<img src="(/media/[^"]+)" alt="([^"]*)"')


def edit_fields(**changes: str) -> dict[str, str]:
    """The edit form's fields as the edit page fills them (no organiser or visibility)."""
    values = event_form(**changes)
    values.pop("visibility")
    return values


async def post_edit_form(
    browser: PageClient, path: str, fields: dict[str, str], image: tuple[str, bytes, str] | None = None
) -> tuple[int, str]:
    """The edit form posted as multipart, as a browser does: (status, page)."""
    await browser.get(path + "/edit")
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf())
    for name, value in fields.items():
        form.add_field(name, value)
    if image is not None:
        filename, data, content_type = image
        form.add_field("image", data, filename=filename, content_type=content_type)
    else:  # an empty file input, as a browser sends it
        form.add_field("image", b"", filename="", content_type="application/octet-stream")
    url = browser.instance.url(path + "/edit")
    async with browser.session.post(url, data=form, headers=browser.headers()) as resp:
        browser.last_page = await resp.text()
        return resp.status, browser.last_page


async def publish_with_picture(browser: PageClient, alt: str = "Rode vlag op het plein") -> str:
    status, page, path = await post_event_form(
        browser, event_form(alt_text=alt), ("plein.jpg", gps_jpeg(), "image/jpeg")
    )
    assert status == 200 and path.startswith("/objects/"), page
    return path


def picture_on(page: str) -> tuple[str, str] | None:
    """(media path, alt text) of the first picture on a page."""
    found = IMG.search(page)
    return (found.group(1), unescape(found.group(2))) if found else None


def og_of(page: str) -> dict[str, str]:
    return {name: value for name, value in meta_tags(page) if name.startswith("og:")}


async def as2_of(inst: Instance, path: str) -> dict[str, Any]:
    async with inst.session.get(inst.url(path), headers=AS2) as resp:
        assert resp.status == 200
        document: dict[str, Any] = await resp.json(content_type=None)
        return document


def on_disk(inst: Instance, media_path: str) -> bool:
    return (media_directory(inst.settings) / media_path.removeprefix("/media/")).is_file()


async def test_the_organiser_keeps_describes_replaces_and_removes_the_picture(open_instance: Instance) -> None:
    inst = open_instance
    async with PageClient(inst) as anna, PageClient(inst) as bram:
        await anna.register("anna")
        await bram.register("bram")
        path = await publish_with_picture(anna)
        _, page = await anna.get(path)
        first = picture_on(page)
        assert first is not None and first[1] == "Rode vlag op het plein"

        # the form shows the picture with its alt text; "keep" is the default
        status, page = await anna.get(path + "/edit")
        assert status == 200 and 'enctype="multipart/form-data"' in page
        assert picture_on(page) == first
        assert 'id="p-keep" name="picture" value="keep" checked' in page
        assert ">Rode vlag op het plein</textarea>" in page
        assert (await post_edit_form(bram, path, edit_fields(picture="remove")))[0] == 404

        # keep: another field changes, the picture stays as it was
        fields = edit_fields(name="Buurtfeest verzet", picture="keep", current_alt="Rode vlag op het plein")
        status, page = await post_edit_form(anna, path, fields)
        assert status == 200 and "Buurtfeest verzet" in page and picture_on(page) == first
        assert on_disk(inst, first[0])

        # new alt text for the same picture: page, og:image:alt and the AS2 document
        fields = edit_fields(picture="keep", current_alt="Een rode vlag boven het plein")
        status, page = await post_edit_form(anna, path, fields)
        assert status == 200 and picture_on(page) == (first[0], "Een rode vlag boven het plein")
        og = og_of(page)
        assert og["og:image"] == inst.url(first[0]) and og["og:image:alt"] == "Een rode vlag boven het plein"
        assert (await as2_of(inst, path))["attachment"][0]["name"] == "Een rode vlag boven het plein"

        # replace: a new picture with its own alt text; the old file leaves the disk
        fields = edit_fields(picture="replace", current_alt="Een rode vlag boven het plein", alt_text="Kraampjes")
        status, page = await post_edit_form(anna, path, fields, ("kraam.png", gps_jpeg(), "image/jpeg"))
        second = picture_on(page)
        assert status == 200 and second is not None and second[0] != first[0] and second[1] == "Kraampjes"
        assert og_of(page)["og:image"] == inst.url(second[0])
        attachment = (await as2_of(inst, path))["attachment"]
        assert attachment == [{"type": "Document", "mediaType": "image/jpeg", "url": inst.url(second[0]),
                               "name": "Kraampjes"}]  # fmt: skip
        assert not on_disk(inst, first[0]) and on_disk(inst, second[0])
        async with anna.session.get(inst.url(first[0])) as resp:
            assert resp.status == 404

        # remove: no picture on the page, no og:image, no attachment, no file
        status, page = await post_edit_form(anna, path, edit_fields(picture="remove", current_alt="Kraampjes"))
        assert status == 200 and picture_on(page) is None and "og:image" not in og_of(page)
        assert "attachment" not in await as2_of(inst, path)
        assert not on_disk(inst, second[0])
        status, page = await anna.get(path + "/edit")
        assert 'name="picture"' not in page and 'id="f-image"' in page  # only "add a picture" is left

        # an event without a picture gets one from the edit form
        fields = edit_fields(alt_text="Weer een vlag")
        status, page = await post_edit_form(anna, path, fields, ("vlag.jpg", gps_jpeg(), "image/jpeg"))
        third = picture_on(page)
        assert status == 200 and third is not None and third[1] == "Weer een vlag"


async def test_picture_errors_show_next_to_their_field(open_instance: Instance) -> None:
    inst = open_instance
    async with PageClient(inst) as anna:
        await anna.register("anna")
        path = await publish_with_picture(anna)
        _, page = await anna.get(path)
        first = picture_on(page)
        assert first is not None
        uploads = await inst.pool.fetchval("SELECT count(*) FROM media")

        # a new image without alt text: the error at the alt text, the image not kept
        fields = edit_fields(name="Niet opgeslagen", picture="replace", current_alt=first[1])
        status, page = await post_edit_form(anna, path, fields, ("a.jpg", gps_jpeg(), "image/jpeg"))
        assert status == 400 and 'id="f-alt_text-error"' in page and "Describe the image" in page
        assert 'id="f-image-error"' in page and "Choose the image again" in page
        assert 'value="Niet opgeslagen"' in page and picture_on(page) == first  # typed values and the picture stay

        # not an image
        fields = edit_fields(picture="replace", current_alt=first[1], alt_text="Iets")
        status, page = await post_edit_form(anna, path, fields, ("a.txt", b"no image at all", "image/png"))
        assert status == 400 and 'id="f-image-error"' in page and "not an image we accept" in page

        # "replace" without a file; the current picture's alt text emptied
        status, page = await post_edit_form(anna, path, edit_fields(picture="replace", current_alt=first[1]))
        assert status == 400 and 'id="f-image-error"' in page and "Choose the new image file." in page
        status, page = await post_edit_form(anna, path, edit_fields(picture="keep", current_alt="  "))
        assert status == 400 and 'id="f-current_alt-error"' in page

        # a new image and "remove" at once
        fields = edit_fields(picture="remove", current_alt=first[1], alt_text="Iets")
        status, page = await post_edit_form(anna, path, fields, ("a.jpg", gps_jpeg(), "image/jpeg"))
        assert status == 400 and 'id="f-picture-error"' in page and "not both" in page

        # nothing changed and nothing stored
        event = await event_store.event_by_ap_id(inst.pool, inst.url(path))
        assert event is not None and event.fields.name != "Niet opgeslagen"
        assert inst.url(first[0]) == event.fields.image_url and on_disk(inst, first[0])
        assert await inst.pool.fetchval("SELECT count(*) FROM media") == uploads

        anna.language = "nl"  # the same form in Dutch
        status, page = await anna.get(path + "/edit")
        assert status == 200 and "De huidige afbeelding" in page and "Behouden" in page
        assert "Vervangen door de nieuwe afbeelding hieronder" in page and "Nieuw afbeeldingsbestand" in page
        status, page = await post_edit_form(anna, path, edit_fields(picture="replace", current_alt=first[1]))
        assert status == 400 and "Kies het nieuwe afbeeldingsbestand." in page


async def test_an_edit_body_beyond_the_limit_gets_the_form_back_with_413(make_instance: Any) -> None:
    async with make_instance(registration_mode="open", media_max_bytes=20_000) as inst, PageClient(inst) as anna:
        await anna.register("anna")
        path = await publish_with_picture(anna)
        _, page = await anna.get(path)
        first = picture_on(page)
        assert first is not None
        huge = b"\x89PNG\r\n\x1a\n" + b"\0" * 400_000  # beyond one image plus the text fields
        fields = edit_fields(name="Te groot", picture="replace", current_alt=first[1], alt_text="Ruis")
        status, page = await post_edit_form(anna, path, fields, ("huge.png", huge, "image/png"))
        assert status == 413 and 'id="f-image-error"' in page and "too big" in page
        assert 'value="Buurtfeest &lt;op het plein&gt;"' in page and picture_on(page) == first  # the stored event
        event = await event_store.event_by_ap_id(inst.pool, inst.url(path))
        assert event is not None and event.fields.image_url == inst.url(first[0])
        # an image over media_max_bytes but inside the body limit: 400 at the field
        big = b"\x89PNG\r\n\x1a\n" + b"\0" * 30_000
        status, page = await post_edit_form(anna, path, fields, ("big.png", big, "image/png"))
        assert status == 400 and 'id="f-image-error"' in page and "too big" in page


async def test_a_following_server_shows_the_new_picture(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(a) as anna,
        PageClient(b) as visitor,
    ):
        await anna.register("anna")
        anna_row = await actor_store.local_actor(a.pool, "anna")
        assert anna_row is not None
        bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
        await follow(b, bob, anna_row.ap_id)
        path = await publish_with_picture(anna)
        ap_id = a.url(path)
        await wait_for(lambda: event_store.event_by_ap_id(b.pool, ap_id))

        async def picture_on_b() -> tuple[str | None, str | None]:
            found = await event_store.event_by_ap_id(b.pool, ap_id)
            assert found is not None
            return found.fields.image_url, found.fields.image_alt

        first_url, _ = await picture_on_b()
        assert first_url is not None and first_url.startswith(a.url("/media/"))
        fields = edit_fields(picture="replace", current_alt="Rode vlag op het plein", alt_text="Kraampjes")
        status, page = await post_edit_form(anna, path, fields, ("kraam.jpg", gps_jpeg(), "image/jpeg"))
        second = picture_on(page)
        assert status == 200 and second is not None

        async def replaced_on_b() -> bool:
            return await picture_on_b() == (a.url(second[0]), "Kraampjes")

        await wait_for(replaced_on_b)
        status, page = await visitor.get(link_of(ap_id))  # the other server's page of the event
        assert status == 200 and f'<img src="{a.url(second[0])}" alt="Kraampjes"' in page
        status, page = await post_edit_form(anna, path, edit_fields(picture="remove", current_alt="Kraampjes"))
        assert status == 200 and picture_on(page) is None

        async def removed_on_b() -> bool:
            return await picture_on_b() == (None, None)

        await wait_for(removed_on_b)
        status, page = await visitor.get(link_of(ap_id))
        assert status == 200 and "<img" not in page.split("<main", 1)[1]
