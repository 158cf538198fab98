"""Image upload through the composer form: EXIF/GPS stripped, too big, not an image,
SVG, missing alt text — each refused next to the field, the file never echoed back."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image

from tests.harness import Instance
from tests.server.web.browser_client import PageClient


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 21.0, 3.0), 3: "E", 4: (4.0, 53.0, 9.0)}  # GPSInfo
    exif[0x010F] = "SecretCam"  # Make
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


async def post_form(
    browser: PageClient, fields: dict[str, str], image: tuple[str, bytes, str] | None
) -> tuple[int, str]:
    await browser.get("/compose")
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf())
    for name, value in fields.items():
        form.add_field(name, value)
    if image is not None:
        filename, data, content_type = image
        form.add_field("image", data, filename=filename, content_type=content_type)
    async with browser.session.post(browser.instance.url("/compose"), data=form, headers=browser.headers()) as resp:
        browser.last_page = await resp.text()
        return resp.status, browser.last_page


async def test_a_gps_tagged_jpeg_comes_out_without_exif(open_instance: Instance) -> None:
    original = gps_jpeg()
    assert b"SecretCam" in original
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page = await post_form(
            browser,
            {"content": "Ons plein", "alt_text": "A red square", "visibility": "public"},
            ("plein.jpg", original, "image/jpeg"),
        )
        assert status == 200, page
        assert 'alt="A red square"' in page
        src = page.split('<img src="', 1)[1].split('"', 1)[0]
        async with browser.session.get(src) as resp:
            served = await resp.read()
    assert resp.status == 200 and served.startswith(b"\xff\xd8")
    assert b"SecretCam" not in served and b"Exif" not in served
    with Image.open(io.BytesIO(served)) as img:
        assert not img.getexif()


async def test_missing_alt_text_is_refused_next_to_the_field(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page = await post_form(
            browser, {"content": "Kijk", "visibility": "public"}, ("a.jpg", gps_jpeg(), "image/jpeg")
        )
        assert status == 400 and 'id="f-alt_text-error"' in page and "Describe the image" in page
        assert "Kijk" in page  # the text is kept
        assert "Choose the image again" in page


async def test_not_an_image_and_svg_are_refused(open_instance: Instance) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    async with PageClient(open_instance, language="nl") as browser:
        await browser.register("anna")
        for name, data, kind in (("x.svg", svg, "image/svg+xml"), ("x.txt", b"hello there", "image/png")):
            status, page = await post_form(browser, {"content": "Hoi", "alt_text": "iets"}, (name, data, kind))
            assert status == 400 and 'id="f-image-error"' in page
            assert "<script>alert(1)" not in page and "hello there" not in page
            assert "Gebruik een JPEG" in page  # in the reader's language


async def test_too_big_is_refused_next_to_the_field(make_instance: object) -> None:
    async with make_instance(registration_mode="open", media_max_bytes=20_000) as inst:  # type: ignore[operator]
        big = io.BytesIO()
        Image.effect_noise((300, 300), 90).convert("RGB").save(big, format="PNG")
        assert 20_000 < len(big.getvalue())
        async with PageClient(inst) as browser:
            await browser.register("anna")
            status, page = await post_form(
                browser, {"content": "Groot", "alt_text": "ruis"}, ("big.png", big.getvalue(), "image/png")
            )
            assert status in (400, 413) and 'id="f-image-error"' in page and "too big" in page
            huge = b"\x89PNG\r\n\x1a\n" + b"\0" * 400_000  # beyond the body limit itself
            status, page = await post_form(
                browser, {"content": "Te groot", "alt_text": "x"}, ("huge.png", huge, "image/png")
            )
            assert status == 413 and 'id="f-image-error"' in page and "too big" in page


async def test_an_event_picture_beyond_the_body_limit_is_refused_next_to_the_field(make_instance: object) -> None:
    async with make_instance(registration_mode="open", media_max_bytes=20_000) as inst:  # type: ignore[operator]
        async with PageClient(inst) as browser:
            await browser.register("anna")
            await browser.get("/compose/event")
            form = aiohttp.FormData()
            form.add_field("csrf", browser.csrf())
            form.add_field("name", "Buurtfeest")
            huge = b"\x89PNG\r\n\x1a\n" + b"\0" * 400_000  # beyond one image plus the text fields
            form.add_field("image", huge, filename="huge.png", content_type="image/png")
            url = inst.url("/compose/event")
            async with browser.session.post(url, data=form, headers=browser.headers()) as resp:
                page = await resp.text()
            assert resp.status == 413 and 'id="f-image-error"' in page and "too big" in page


async def test_other_posts_keep_the_application_body_limit(make_instance: object) -> None:
    """Only the registered upload forms get the bigger limit: a multipart body of the same
    size to another form is refused by the application's own limit."""
    async with make_instance(registration_mode="open", inbox_max_bytes=100_000) as inst:  # type: ignore[operator]
        async with PageClient(inst) as browser:
            await browser.register("anna")
            await browser.get("/compose")
            for path, refused_for_size in (("/settings/profile", True), ("/compose", False)):
                form = aiohttp.FormData()
                form.add_field("csrf", browser.csrf())
                form.add_field("content", "x" * 150_000)
                form.add_field("visibility", "public")
                form.add_field("image", b"", filename="", content_type="application/octet-stream")
                async with browser.session.post(inst.url(path), data=form, headers=browser.headers()) as resp:
                    await resp.read()
                    # the composer reads the body and judges the text itself (too long: 400)
                    assert (resp.status == 413) is refused_for_size, (path, resp.status)
