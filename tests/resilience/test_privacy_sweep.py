"""Privacy sweep: a resident with public, unlisted, followers-only, members-only and direct
posts, an RSVP to a neighbourhood's event, a private event of her own, a private calendar
token and GPS-tagged photos (one on a public post, one on a followers-only post).
Everything reachable on our public surfaces -- actor, profile page, outbox and other
collections, object and activity ids, WebFinger, host-meta, NodeInfo, the home page, the
feeds (Atom, RSS), the calendars (ICS), the public API, uploaded media and the `<meta>`
tags link previews read (OpenGraph) -- crawled unsigned as a stranger in both AS2 and HTML,
shows no trace of the private ones, never says who is going to an event, and serves no
photo with EXIF or GPS data."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from aiohttp import web
from PIL import Image

from server.appkeys import REMOTE
from server.domain import events, posts, rsvp
from server.domain.actors import create_local_actor
from server.domain.calendar_feeds import issue_calendar_token
from server.domain.compose import Draft, publish_draft
from server.domain.media import store_upload
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import objects as object_store
from server.storage.events import EventFields
from tests.harness import Instance, federating
from tests.resilience.crawl import Page, crawl, meta_tags
from tests.server.test_workers import add_follower, sink

SECRETS = (
    "SECRET-FOLLOWERS-7f3a",
    "SECRET-DIRECT-91bc",
    "SECRET-MEMBERS-c0de",
    "SECRET-EVENT-e7a1",
    "SECRET-PHOTO-ALT-5d1e",
)
GPS_IFD = 0x8825


def gps_photo() -> bytes:
    """A JPEG whose EXIF carries a GPS position (52°22'N 4°53'E, Amsterdam) and a camera."""
    img = Image.new("RGB", (40, 30), (20, 120, 40))
    exif = img.getexif()
    exif[0x010F] = "Fairphone"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 22.0, 1.5), 3: "E", 4: (4.0, 53.0, 2.5)})
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:
        assert check.getexif().get_ifd(GPS_IFD)  # the fixture really carries a position
    return data


def soon(name: str) -> EventFields:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    return EventFields(name=name, starts_at=start, ends_at=start + timedelta(hours=2), place_name="Buurthuis")


async def accept(request: web.Request) -> web.StreamResponse:
    return web.Response(status=202)


def has_location(page: Page) -> bool:
    with Image.open(io.BytesIO(page.data)) as img:
        exif = img.getexif()
        return bool(exif.get_ifd(GPS_IFD)) or b"Exif" in page.data or b"Fairphone" in page.data


async def test_nothing_private_is_reachable_unsigned(instance: Instance) -> None:
    fed = federating(instance)
    alice = await create_local_actor(instance.pool, instance.settings, kind="Person", username="alice")
    buurt = await create_neighbourhood(fed, "buurt", founder=alice, name="De Buurt")
    async with sink("127.0.0.3", accept) as (base, _):
        bob = await add_follower(instance.app[REMOTE], instance.pool, alice, base, "bob")
        public = await posts.create_note(fed, alice, "PUBLIC-MARK-1111")
        unlisted = await posts.create_note(fed, alice, "UNLISTED-MARK-2222", visibility="unlisted")
        followers = await posts.create_note(fed, alice, SECRETS[0], visibility="followers")
        direct = await posts.create_note(fed, alice, SECRETS[1], visibility="direct", mentions=[bob.ap_id])
        members_id = fed.urls.object("members-only-post")
        await object_store.insert_object(
            instance.pool,
            {
                "ap_id": members_id,
                "type": "Note",
                "actor_id": alice.id,
                "attributed_to": alice.ap_id,
                "in_reply_to": None,
                "visibility": "members",
                "is_local": True,
                "content": SECRETS[2],
                "document": {
                    "id": members_id,
                    "type": "Note",
                    "attributedTo": alice.ap_id,
                    "content": SECRETS[2],
                    "to": [f"{buurt.ap_id}/members"],
                },
            },
        )
        shown = await store_upload(instance.pool, instance.settings, alice, gps_photo(), "Een groene deur")
        photo = await publish_draft(fed, alice, Draft(text="PHOTO-MARK-4444", media_ids=(shown.id,)))
        hidden = await store_upload(instance.pool, instance.settings, alice, gps_photo(), SECRETS[4])
        private_photo = await publish_draft(
            fed, alice, Draft(text="alleen voor volgers", visibility="followers", media_ids=(hidden.id,))
        )
        party = await events.create_event(fed, buurt, soon("EVENT-MARK-3333"))
        assert await rsvp.rsvp(fed, alice, party.ap_id, "going") == "going"
        own_event = await events.create_event(fed, alice, soon(SECRETS[3]), visibility="followers")
        assert await rsvp.rsvp(fed, alice, own_event.ap_id, "going") == "going"
        token, _ = await issue_calendar_token(instance.pool, alice.id)

        private_ids = [followers.ap_id, direct.ap_id, members_id, private_photo.ap_id, own_event.ap_id]
        ids = [public.ap_id, unlisted.ap_id, photo.ap_id, party.ap_id, *private_ids]
        uid = party.ap_id.rsplit("/", 1)[1]
        guessed = [
            *ids,
            *(i + "/activity" for i in ids),
            *(instance.url("/activities/" + i.rsplit("/", 1)[1]) for i in ids),
            party.ap_id + "/attendees",
            instance.url(f"/calendar/events/{uid}.ics"),
            instance.url(f"/calendar/events/{own_event.ap_id.rsplit('/', 1)[1]}.ics"),
        ]
        pages = await crawl(instance, extra=guessed, usernames=["alice", "buurt"], neighbourhoods=["buurt"], limit=600)
    urls = {p.url for p in pages}
    bodies = "\n".join(page.body for page in pages if not page.content_type.startswith("image/"))
    for mark in ("PUBLIC-MARK-1111", "PHOTO-MARK-4444", "EVENT-MARK-3333"):
        assert mark in bodies  # the crawl does reach posts and events
    assert "UNLISTED-MARK-2222" in bodies  # unlisted: not listed, but served at its id
    for surface in ("/feeds/", "/calendar/", "/api/v1/"):
        assert any(surface in p.url and p.status == 200 for p in pages), surface
    assert any("EVENT-MARK-3333" in p.body for p in pages if p.url.endswith(".ics"))
    assert any("PUBLIC-MARK-1111" in p.body for p in pages if "/feeds/" in p.url)
    assert any("EVENT-MARK-3333" in p.body for p in pages if "/api/v1/events" in p.url)

    for secret in (*SECRETS, token, hidden.file_name):
        leaks = [(p.url, p.accept) for p in pages if secret in p.body]
        assert leaks == [], (secret, leaks)
    assert instance.url(f"/media/{hidden.file_name}") not in urls
    for page in pages:
        if page.url in private_ids:
            assert page.status == 404, (page.url, page.status)

    # who is going is the organiser's business: no public surface about the event names alice
    about_party = [p for p in pages if uid in p.url or "/calendar/" in p.url or "/api/v1/events" in p.url]
    assert any(p.url == party.ap_id + "/attendees" and p.status == 200 for p in about_party)
    for page in about_party:
        assert alice.ap_id not in page.body and "/@alice" not in page.body, page.url

    # link previews: no <meta> of any page (OpenGraph, description) carries private text
    previews = [(p.url, tag) for p in pages if "html" in p.content_type for tag in meta_tags(p.body)]
    for secret in SECRETS:
        assert [(url, tag) for url, tag in previews if secret in tag[1]] == []

    images = [p for p in pages if p.content_type.startswith("image/") and p.status == 200]
    assert any(p.url.endswith(shown.file_name) for p in images)  # the public photo is reached
    assert [p.url for p in images if has_location(p)] == []

    outbox = [p for p in pages if "/outbox?page=" in p.url and "json" in p.content_type]
    assert outbox and all("UNLISTED-MARK-2222" not in p.body for p in outbox)
