"""Event pictures ⇄ `attachment`, field by field: the real Mobilizon payload (a Document
named "Banner"), Gancio's shape (a Document whose `name` is the alt text), an Image whose
`url` is a list of Links, an `image` property, and what is not a picture (a Link to an
online meeting, a PDF, a javascript: URL). Ours is written as a Document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.convert.events import event_fields_document, event_from_as, event_image_from_as
from server.storage.events import EventFields
from tests.server.convert.test_events import mobilizon_event


def event(**extra: Any) -> dict[str, Any]:
    return {"type": "Event", "id": "https://gancio.example/federation/m/7", "name": "Markt",
            "startTime": "2026-06-01T10:00:00Z", **extra}  # fmt: skip


def test_mobilizon_banner_is_read() -> None:
    fields = event_from_as(mobilizon_event())
    assert fields is not None
    assert fields.image_url == (
        "https://rendezvous.nomagic.uk/media/cd75bf2f61b66004fe20af4797f5aa847ae1f9ea1c118f53093d6fc4e51a6045.jpg"
        "?name=devon_caledonian_society%27s%20banner.jpg"
    )
    assert fields.image_media_type == "image/jpeg"
    assert fields.image_alt == "Banner"


def test_gancio_document_with_alt_text_is_read() -> None:
    gancio = event(
        attachment=[
            {"type": "Document", "mediaType": "image/jpeg", "url": "https://gancio.example/media/abc.jpg",
             "name": "Kraampjes op het plein", "blurHash": None, "focalPoint": [0, 0]}
        ]
    )  # fmt: skip
    fields = event_from_as(gancio)
    assert fields is not None
    assert (fields.image_url, fields.image_media_type, fields.image_alt) == (
        "https://gancio.example/media/abc.jpg",
        "image/jpeg",
        "Kraampjes op het plein",
    )


def test_other_shapes_of_pictures() -> None:
    image_with_links = event(
        attachment=[
            {"type": "Link", "href": "https://meet.example/room"},
            {"type": "Document", "mediaType": "application/pdf", "url": "https://x.example/flyer.pdf"},
            {"type": "Image", "url": [{"type": "Link", "href": "https://x.example/a.png", "mediaType": "image/png"}]},
        ]
    )
    assert event_image_from_as(image_with_links) == ("https://x.example/a.png", None, None)
    assert event_image_from_as(event(image={"type": "Image", "url": "https://x.example/b.webp",
                                            "mediaType": "image/webp", "name": "Affiche"})) == (
        "https://x.example/b.webp", "image/webp", "Affiche")  # fmt: skip
    assert event_image_from_as(event(image="https://x.example/c.gif")) == ("https://x.example/c.gif", None, None)
    not_pictures = event(
        attachment=[{"type": "Document", "mediaType": "image/jpeg", "url": "javascript:alert(1)"}],
        image={"type": "Image", "url": "data:image/png;base64,AAAA"},
    )
    assert event_image_from_as(not_pictures) is None
    assert event_image_from_as(event(attachment=[{"type": "Link", "href": "https://meet.example/room"}])) is None


def test_our_picture_is_written_as_a_document() -> None:
    fields = EventFields(
        name="Buurtfeest",
        starts_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
        image_url="https://buurt.example/media/abcdefghijklmnopqrstuvwx.jpg",
        image_media_type="image/jpeg",
        image_alt="Tafels op het grasveld",
    )
    assert event_fields_document(fields, 0)["attachment"] == [
        {"type": "Document", "mediaType": "image/jpeg",
         "url": "https://buurt.example/media/abcdefghijklmnopqrstuvwx.jpg", "name": "Tafels op het grasveld"}
    ]  # fmt: skip
    assert "attachment" not in event_fields_document(EventFields(name="x", starts_at=fields.starts_at), 0)
    written = event_fields_document(fields, 0) | {"type": "Event", "id": "https://buurt.example/objects/1"}
    read_back = event_from_as(written)
    assert read_back is not None and read_back.image_url == fields.image_url and read_back.image_alt == fields.image_alt
