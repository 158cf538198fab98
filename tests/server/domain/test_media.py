"""Uploads: EXIF and GPS stripped, only real raster images, size and pixel limits,
alt text required; served with nosniff, a strict CSP and Content-Disposition."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.domain import media
from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.media import MediaRefused, reencode, store_upload
from server.domain.posts import delete_note
from tests.harness import Instance, federating

GPS_IFD = 0x8825
MAKE = 0x010F


def gps_jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = img.getexif()
    exif[MAKE] = "Canon"
    exif[0x0112] = 6  # orientation: rotate 90
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.5)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return out.getvalue()


def test_gps_tagged_jpeg_comes_out_without_exif() -> None:
    data = gps_jpeg()
    with Image.open(io.BytesIO(data)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the fixture really carries GPS
    result = reencode(data, max_pixels=10_000)
    assert result.media_type == "image/jpeg"
    assert b"Exif" not in result.data and b"secret comment" not in result.data
    with Image.open(io.BytesIO(result.data)) as after:
        assert not after.getexif() and not after.getexif().get_ifd(GPS_IFD)
        assert after.size == (48, 64)  # turned upright from the orientation tag
    assert (result.width, result.height) == (48, 64)


def test_png_text_chunks_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Kerkstraat 1")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    result = reencode(out.getvalue(), max_pixels=100)
    assert b"Kerkstraat" not in result.data and result.media_type == "image/png"


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.4 not an image",
        b"BM" + b"\x00" * 60,  # BMP: a real image format, but not one we take
        b"\xff\xd8\xff\xe0" + b"\x00" * 40,  # a JPEG header and nothing after
        b"",
    ],
)
def test_not_an_image_is_refused(data: bytes) -> None:
    with pytest.raises(MediaRefused):
        reencode(data, max_pixels=10_000)


def test_too_many_pixels_is_refused() -> None:
    out = io.BytesIO()
    Image.new("L", (200, 200)).save(out, format="PNG")
    with pytest.raises(MediaRefused, match="pixels"):
        reencode(out.getvalue(), max_pixels=10_000)


def test_alt_text_is_required() -> None:
    with pytest.raises(MediaRefused, match="alt text"):
        media.clean_alt_text(" \n\t ")
    assert media.clean_alt_text("  Een  rode\nfiets ") == "Een rode fiets"


async def test_upload_stored_served_and_attached(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    row = await store_upload(instance.pool, instance.settings, anna, gps_jpeg(), "Een rode vlak")
    path = media.media_directory(instance.settings) / row.file_name
    assert path.is_file() and b"Exif" not in path.read_bytes()
    url = instance.url(f"/media/{row.file_name}")
    async with instance.session.get(url) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "image/jpeg"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["Content-Disposition"] == 'inline; filename="image.jpg"'
        assert await resp.read() == path.read_bytes()

    post = await publish_draft(federating(instance), anna, Draft(text="kijk", media_ids=(row.id,)))
    assert post.document is not None
    assert post.document["attachment"] == [
        {"type": "Image", "mediaType": "image/jpeg", "url": url, "name": "Een rode vlak", "width": 48, "height": 64}
    ]
    await delete_note(federating(instance), anna, post.ap_id)
    async with instance.session.get(url) as resp:
        assert resp.status == 404


async def test_upload_limits_and_foreign_media(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    small = instance.settings.with_overrides(media_max_bytes=100)
    with pytest.raises(MediaRefused, match="at most"):
        await store_upload(instance.pool, small, anna, gps_jpeg(), "te groot")
    with pytest.raises(MediaRefused):
        await store_upload(instance.pool, instance.settings, anna, b"<svg/>", "svg")
    bobs = await store_upload(instance.pool, instance.settings, bob, gps_jpeg(), "van bob")
    post = await publish_draft(federating(instance), anna, Draft(text="niet van mij", media_ids=(bobs.id,)))
    assert post.document is not None and "attachment" not in post.document
    async with instance.session.get(instance.url("/media/../secret_key")) as resp:
        assert resp.status == 404
    for name in ("x.svg", "secret_key", "AAAAAAAAAAAAAAAAAAAAAAAA.jpg", "AAAAAAAAAAAAAAAAAAAAAAAA.jpg.html"):
        async with instance.session.get(instance.url(f"/media/{name}")) as resp:
            assert resp.status == 404
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
