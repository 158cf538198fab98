"""The composer takes up to four images, each with its own required alt text; errors are
shown next to the image or description they are about, and nothing is published then."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image

from server.storage.objects import object_by_ap_id
from tests.harness import Instance
from tests.server.web.browser_client import PageClient

SLOTS = (("image", "alt_text"), ("image_2", "alt_text_2"), ("image_3", "alt_text_3"), ("image_4", "alt_text_4"))


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), colour).save(out, format="PNG")
    return out.getvalue()


async def post_form(browser: PageClient, fields: dict[str, str], images: dict[str, bytes]) -> tuple[int, str, str]:
    await browser.get("/compose")
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf())
    for name, value in fields.items():
        form.add_field(name, value)
    for name, data in images.items():
        form.add_field(name, data, filename=name + ".png", content_type="image/png")
    url = browser.instance.url("/compose")
    async with browser.session.post(url, data=form, headers=browser.headers()) as resp:
        browser.last_page = await resp.text()
        return resp.status, browser.last_page, str(resp.url)


async def test_four_images_each_with_its_alt_text(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        _, page = await browser.get("/compose")
        for name, alt in SLOTS:
            assert f'id="f-{name}"' in page and f'id="f-{alt}"' in page
        colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200), (200, 200, 0)]
        fields = {"content": "Het buurtfeest in beeld", "visibility": "public"}
        fields.update({alt: f"Foto {n} van het feest" for n, (_, alt) in enumerate(SLOTS, 1)})
        images = {name: png(colour) for (name, _), colour in zip(SLOTS, colours, strict=True)}
        status, page, url = await post_form(browser, fields, images)
        assert status == 200, page
    ap_id = open_instance.settings.base_url + url.split(open_instance.settings.base_url, 1)[1].split("?")[0]
    post = await object_by_ap_id(open_instance.pool, ap_id)
    assert post is not None and post.document is not None
    attachments = post.document["attachment"]
    assert [a["name"] for a in attachments] == [f"Foto {n} van het feest" for n in range(1, 5)]
    assert all(a["mediaType"] == "image/png" for a in attachments)
    for n in range(1, 5):
        assert f'alt="Foto {n} van het feest"' in page


async def test_each_image_gets_its_own_error_and_nothing_is_published(open_instance: Instance) -> None:
    async with PageClient(open_instance, language="nl") as browser:
        await browser.register("anna")
        fields = {"content": "Kijk", "alt_text": "Eerste foto", "alt_text_3": "Geen afbeelding"}
        images = {"image": png((1, 2, 3)), "image_2": png((4, 5, 6)), "image_3": b"dit is tekst, geen plaatje"}
        status, page, _ = await post_form(browser, fields, images)
        assert status == 400
        assert 'id="f-alt_text_2-error"' in page and "Beschrijf de afbeelding" in page
        assert 'id="f-alt_text-error"' not in page  # the first one has its description
        assert 'id="f-image_3-error"' in page and "geen afbeelding die we aannemen" in page
        assert 'id="f-image_2-error"' in page  # chosen again after an error: files are never kept
        assert 'id="f-image_4-error"' not in page  # no image chosen there: nothing to say
        assert "Eerste foto" in page and "Geen afbeelding" in page  # typed text is kept
    assert await open_instance.pool.fetchval("SELECT count(*) FROM objects") == 0
    assert await open_instance.pool.fetchval("SELECT count(*) FROM media") == 0


async def test_a_fifth_image_field_is_not_read(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        fields = {"content": "Vijf?", **{alt: "foto" for _, alt in SLOTS}, "alt_text_5": "foto"}
        images = {name: png((9, 9, 9)) for name, _ in SLOTS} | {"image_5": png((8, 8, 8))}
        status, page, _ = await post_form(browser, fields, images)
        assert status == 200, page
    assert await open_instance.pool.fetchval("SELECT count(*) FROM media") == 4
