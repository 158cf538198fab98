"""A multi-image post whose later image is refused after the earlier ones were stored
leaves no media rows or files behind; taking uploads back never touches media a post uses
or another resident's uploads."""

from __future__ import annotations

import io

from PIL import Image

from server.domain.actors import create_account
from server.domain.compose import Draft, publish_draft
from server.domain.media import media_directory, store_upload
from server.domain.upload_discard import discard_uploads
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient
from tests.server.web.test_multi_image_pages import SLOTS, post_form

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()


def files_in(instance: Instance) -> set[str]:
    directory = media_directory(instance.settings)
    return {p.name for p in directory.iterdir()} if directory.is_dir() else set()


async def test_a_refused_later_image_takes_back_the_earlier_ones(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        fields = {"content": "Drie foto's", "visibility": "public"}
        fields.update({alt: f"Foto {n}" for n, (_, alt) in enumerate(SLOTS[:3], 1)})
        # the third looks like a PNG (so it passes the first check) but cannot be decoded:
        # it is refused only when stored, after the first two were stored
        images = {
            SLOTS[0][0]: png((200, 0, 0)),
            SLOTS[1][0]: png((0, 200, 0)),
            SLOTS[2][0]: PNG_HEADER + b"\x00" * 200,
        }
        status, page, _ = await post_form(browser, fields, images)
        assert status == 400
        assert "This image could not be read." in page
        assert await open_instance.pool.fetchval("SELECT count(*) FROM media") == 0
        assert await open_instance.pool.fetchval("SELECT count(*) FROM objects WHERE type = 'Note'") == 0
        assert files_in(open_instance) == set()

        # the same form with three good images is published, with all three
        images[SLOTS[2][0]] = png((0, 0, 200))
        status, page, _ = await post_form(browser, fields, images)
        assert status == 200, page
        assert await open_instance.pool.fetchval("SELECT count(*) FROM media WHERE object_id IS NOT NULL") == 3
        assert len(files_in(open_instance)) == 3


async def test_taking_back_spares_attached_media_and_other_owners(instance: Instance) -> None:
    anna = await create_account(instance.pool, instance.settings, username="anna", password="correct horse battery")
    bert = await create_account(instance.pool, instance.settings, username="bert", password="correct horse battery")
    used = await store_upload(instance.pool, instance.settings, anna, png((1, 2, 3)), "in een post")
    await publish_draft(federating(instance), anna, Draft(text="met foto", media_ids=(used.id,)))
    loose = await store_upload(instance.pool, instance.settings, anna, png((4, 5, 6)), "los")
    berts = await store_upload(instance.pool, instance.settings, bert, png((7, 8, 9)), "van bert")

    removed = await discard_uploads(instance.pool, instance.settings, anna, [used.id, loose.id, berts.id])

    assert removed == 1
    left = {r["id"] for r in await instance.pool.fetch("SELECT id FROM media")}
    assert left == {used.id, berts.id}
    assert files_in(instance) == {used.file_name, berts.file_name}
