"""Image uploads: only JPEG, PNG, WebP and GIF (recognised by their bytes, never by a
name or a declared type), at most `media_max_bytes` and `media_max_pixels`, re-encoded
with Pillow from their pixels alone — so EXIF (GPS position, camera serial), XMP, ICC
profiles and comments never leave the server. Alt text is required. Files are stored
under data_dir/media with random names.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from server.config import Settings
from server.storage import media as media_store
from server.storage.actors import ActorRow
from server.storage.media import MediaRow
from server.storage.pool import Pool

MAX_ALT_TEXT = 1500
MAX_FRAMES = 200
# Pillow format name → (media type, file extension)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


class MediaRefused(ValueError):
    """An upload we do not take; the message is safe to show to the uploader."""


@dataclass(frozen=True)
class Reencoded:
    data: bytes
    media_type: str
    extension: str
    width: int
    height: int


def sniff_format(data: bytes) -> str | None:
    """The image format from the first bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def reencode(data: bytes, *, max_pixels: int) -> Reencoded:
    """Decode and encode again from pixels only. Raises MediaRefused."""
    sniffed = sniff_format(data)
    if sniffed is None:
        raise MediaRefused("only JPEG, PNG, WebP and GIF images are accepted")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[sniffed]) as img:
                width, height = img.size
                if width < 1 or height < 1 or width * height > max_pixels:
                    raise MediaRefused(f"images may have at most {max_pixels} pixels")
                frames = _clean_frames(img, sniffed)
    except MediaRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning):
        raise MediaRefused("the image could not be read") from None
    media_type, extension = FORMATS[sniffed]
    out = io.BytesIO()
    _save(frames, sniffed, out)
    return Reencoded(out.getvalue(), media_type, extension, frames[0].width, frames[0].height)


def _clean_frames(img: Image.Image, fmt: str) -> list[Image.Image]:
    """Fresh images holding only pixels (no `info`, no EXIF), turned upright."""
    count = getattr(img, "n_frames", 1)
    if count > MAX_FRAMES:
        raise MediaRefused(f"animations may have at most {MAX_FRAMES} frames")
    frames: list[Image.Image] = []
    source = ImageSequence.Iterator(img) if fmt in ("GIF", "WEBP") and count > 1 else [img]
    for frame in source:
        upright = ImageOps.exif_transpose(frame) if fmt != "GIF" else frame
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        mode = "RGBA" if has_alpha and fmt != "JPEG" else "RGB"
        pixels = upright.convert(mode)
        clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
        clean.info["duration"] = frame.info.get("duration", 100)
        frames.append(clean)
    return frames


def _save(frames: list[Image.Image], fmt: str, out: io.BytesIO) -> None:
    first = frames[0]
    if len(frames) > 1:
        durations = [int(f.info.get("duration", 100)) for f in frames]
        first.save(out, format=fmt, save_all=True, append_images=frames[1:], duration=durations, loop=0)
    elif fmt == "JPEG":
        first.save(out, format="JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        first.save(out, format="WEBP", quality=85)
    else:
        first.save(out, format=fmt, optimize=True)


def clean_alt_text(alt_text: str) -> str:
    text = " ".join(alt_text.split())
    if not text:
        raise MediaRefused("describe the image (alt text) for people who cannot see it")
    return text[:MAX_ALT_TEXT]


def media_directory(settings: Settings) -> Path:
    return settings.data_dir / "media"


async def store_upload(pool: Pool, settings: Settings, owner: ActorRow, data: bytes, alt_text: str) -> MediaRow:
    """Check, re-encode and store an uploaded image of a local actor. Raises MediaRefused."""
    alt = clean_alt_text(alt_text)
    if not data:
        raise MediaRefused("the upload is empty")
    if len(data) > settings.media_max_bytes:
        raise MediaRefused(f"images may be at most {settings.media_max_bytes // 1024} KiB")
    image = await asyncio.to_thread(reencode, data, max_pixels=settings.media_max_pixels)
    file_name = f"{secrets.token_urlsafe(18)}.{image.extension}"
    path = media_directory(settings) / file_name
    await asyncio.to_thread(_write_new_file, path, image.data)
    try:
        return await media_store.insert_media(
            pool,
            file_name=file_name,
            owner_id=owner.id,
            media_type=image.media_type,
            width=image.width,
            height=image.height,
            size_bytes=len(image.data),
            alt_text=alt,
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _write_new_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


async def remove_files(settings: Settings, file_names: list[str]) -> int:
    """Remove media files from disk (their rows are gone already); returns how many were
    removed. Only names of our own form are touched, inside the media directory."""
    directory = media_directory(settings)

    def unlink_all() -> int:
        removed = 0
        for name in file_names:
            if "/" in name or "\\" in name or name.startswith("."):
                continue
            try:
                (directory / name).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed

    return await asyncio.to_thread(unlink_all)
