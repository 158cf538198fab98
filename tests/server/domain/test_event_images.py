"""Event pictures on a real instance: an event created with an uploaded image carries it
as an `attachment` Document (mediaType, url, alt text as name) in the stored and the sent
document, keeps it through an edit, and loses it from disk when the event is deleted
(unless another event or an actor's icon still shows it); an edit gives it new alt text,
replaces it or removes it (the Update carries the new attachment or none, the old file
goes unless something else shows it); a received Gancio-style event keeps its picture as
a remote URL. A picture kept for what else shows it is still served after its event is
deleted (never to more readers than before), and goes (row and file) when the last event
showing it is deleted or edited, or at the media housekeeping once nothing shows it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from server.domain import events, media
from server.domain.actors import create_local_actor
from server.domain.media import store_upload
from server.domain.media_cleanup import clean_media
from server.storage import events as event_store
from server.storage import media as media_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, scripted_peer
from tests.server.domain.test_events import AS2, upcoming
from tests.server.domain.test_media import gps_jpeg
from tests.server.domain.test_polls import processed, send


async def test_an_event_with_a_picture_federates_it_as_a_document(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    other = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    foreign = await store_upload(instance.pool, instance.settings, other, gps_jpeg(), "niet van oost")
    picture = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), "Tafels op het grasveld")
    assert (await events.create_event(fed, buurt, upcoming(), media_ids=(foreign.id,))).document is not None
    row = await events.create_event(fed, buurt, upcoming(), media_ids=(picture.id,))
    url = instance.url(f"/media/{picture.file_name}")
    expected = [{"type": "Document", "mediaType": "image/jpeg", "url": url, "name": "Tafels op het grasveld"}]
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        served = await resp.json(content_type=None)
    assert served["attachment"] == expected
    sent = await instance.pool.fetchval(
        """SELECT document FROM outgoing_activities
           WHERE document->>'type' = 'Create' AND document->'object'->>'id' = $1""",
        row.ap_id,
    )
    assert sent["object"]["attachment"] == expected
    foreign_row = await instance.pool.fetchval("SELECT object_id FROM media WHERE id = $1", foreign.id)
    assert foreign_row is None  # someone else's upload is never attached
    async with instance.session.get(url) as resp:
        assert resp.status == 200
    # an edit (the form knows nothing of the picture) keeps it
    current = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert current is not None
    edited = replace(current.fields, name="Buurtfeest (nieuw)", image_url=None, image_media_type=None, image_alt=None)
    document = await events.update_event(fed, buurt, row.ap_id, edited, tell_mastodon=False)
    assert document["attachment"] == expected and document["name"] == "Buurtfeest (nieuw)"
    path = media.media_directory(instance.settings) / picture.file_name
    assert path.is_file()
    await events.delete_event(fed, buurt, row.ap_id)
    assert not path.exists()
    async with instance.session.get(url) as resp:
        assert resp.status == 404


async def test_a_received_event_keeps_its_picture(instance: Instance) -> None:
    async with scripted_peer() as peer:
        org = peer.make_actor("markt")
        event_id = f"{peer.base}/events/1"
        obj = {"id": event_id, "type": "Event", "attributedTo": org.ap_id, "name": "Markt",
               "startTime": "2030-06-01T10:00:00Z", "to": [AS + "#Public"],
               "attachment": [{"type": "Document", "mediaType": "image/png", "url": f"{peer.base}/media/m.png",
                               "name": "Kraampjes"}]}  # fmt: skip
        create = {"@context": AS, "id": peer.activity_id(), "type": "Create", "actor": org.ap_id, "object": obj,
                  "to": [AS + "#Public"]}  # fmt: skip
        await send(instance, peer, org, create)
        await wait_for(lambda: processed(instance, 1))
    stored = await event_store.event_by_ap_id(instance.pool, event_id)
    assert stored is not None
    assert (stored.fields.image_url, stored.fields.image_media_type, stored.fields.image_alt) == (
        f"{peer.base}/media/m.png",
        "image/png",
        "Kraampjes",
    )


async def sent_updates(instance: Instance, ap_id: str) -> list[dict[str, Any]]:
    """The Updates of the event queued for delivery, oldest first."""
    rows = await instance.pool.fetch(
        """SELECT document FROM outgoing_activities
           WHERE document->>'type' = 'Update' AND document->'object'->>'id' = $1 ORDER BY id""",
        ap_id,
    )
    return [r["document"] for r in rows]


async def test_an_edit_describes_replaces_and_removes_the_picture(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    other = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    first = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), "Tafels op het grasveld")
    row = await events.create_event(fed, buurt, upcoming(), media_ids=(first.id,))
    current = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert current is not None
    first_path = media.media_directory(instance.settings) / first.file_name
    first_url = instance.url(f"/media/{first.file_name}")

    # new alt text: the same picture, described anew, in the stored and the sent document
    document = await events.update_event(
        fed, buurt, row.ap_id, current.fields, tell_mastodon=False, picture=events.NewAltText("  Lange  tafels ")
    )
    described = [{"type": "Document", "mediaType": "image/jpeg", "url": first_url, "name": "Lange tafels"}]
    assert document["attachment"] == described
    assert (await sent_updates(instance, row.ap_id))[-1]["object"]["attachment"] == described
    assert await instance.pool.fetchval("SELECT alt_text FROM media WHERE id = $1", first.id) == "Lange tafels"
    assert first_path.is_file()

    # someone else's upload, or one used already, is refused; nothing changes
    foreign = await store_upload(instance.pool, instance.settings, other, gps_jpeg(), "niet van oost")
    for media_id in (foreign.id, first.id):
        with pytest.raises(events.InvalidEvent):
            await events.update_event(
                fed, buurt, row.ap_id, current.fields, tell_mastodon=False, picture=events.NewPicture(media_id)
            )
    assert first_path.is_file()

    # a new picture: attached, sent, and the old one goes from disk and answers 404
    second = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg((32, 32)), "Een kraam")
    second_url = instance.url(f"/media/{second.file_name}")
    document = await events.update_event(
        fed, buurt, row.ap_id, current.fields, tell_mastodon=False, picture=events.NewPicture(second.id)
    )
    replaced = [{"type": "Document", "mediaType": "image/jpeg", "url": second_url, "name": "Een kraam"}]
    assert document["attachment"] == replaced
    assert (await sent_updates(instance, row.ap_id))[-1]["object"]["attachment"] == replaced
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        assert (await resp.json(content_type=None))["attachment"] == replaced
    assert not first_path.exists()
    assert await instance.pool.fetchval("SELECT count(*) FROM media WHERE id = $1", first.id) == 0
    async with instance.session.get(first_url) as resp:
        assert resp.status == 404
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None and (stored.fields.image_url, stored.fields.image_alt) == (second_url, "Een kraam")

    # an edit that names no picture change keeps the new one
    edited = replace(stored.fields, name="Markt", image_url=None, image_media_type=None, image_alt=None)
    document = await events.update_event(fed, buurt, row.ap_id, edited, tell_mastodon=False)
    assert document["attachment"] == replaced

    # removed: no attachment in the document or the Update, and the file is gone
    second_path = media.media_directory(instance.settings) / second.file_name
    document = await events.update_event(fed, buurt, row.ap_id, edited, tell_mastodon=False, picture=events.NoPicture())
    assert "attachment" not in document
    assert "attachment" not in (await sent_updates(instance, row.ap_id))[-1]["object"]
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        assert "attachment" not in await resp.json(content_type=None)
    assert not second_path.exists()
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None and stored.fields.image_url is None and stored.fields.image_alt is None
    with pytest.raises(events.InvalidEvent):  # no picture left to describe
        await events.update_event(fed, buurt, row.ap_id, edited, tell_mastodon=False, picture=events.NewAltText("iets"))


async def test_a_picture_something_else_still_shows_stays_on_disk(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    picture = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), "Het plein")
    row = await events.create_event(fed, buurt, upcoming(), media_ids=(picture.id,))
    url = instance.url(f"/media/{picture.file_name}")
    # another event shows the same address (as an iCalendar import or a copy could)
    await events.create_event(fed, buurt, upcoming(image_url=url, image_media_type="image/jpeg", image_alt="Plein"))
    current = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert current is not None
    await events.update_event(fed, buurt, row.ap_id, current.fields, tell_mastodon=False, picture=events.NoPicture())
    assert (media.media_directory(instance.settings) / picture.file_name).is_file()
    assert await instance.pool.fetchval("SELECT object_id FROM media WHERE id = $1", picture.id) == row.id


async def test_deleting_an_event_keeps_a_picture_something_else_still_shows(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    shared, icon, own = [
        await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), alt)
        for alt in ("Plein", "Logo", "Kraam")
    ]
    rows = [await events.create_event(fed, buurt, upcoming(), media_ids=(m.id,)) for m in (shared, icon, own)]
    shared_url = instance.url(f"/media/{shared.file_name}")
    # another event shows the first picture's address, the neighbourhood the second as its icon
    await events.create_event(
        fed, buurt, upcoming(image_url=shared_url, image_media_type="image/jpeg", image_alt="Plein")
    )
    await instance.pool.execute(
        "UPDATE actors SET icon_url = $1 WHERE id = $2", instance.url(f"/media/{icon.file_name}"), buurt.id
    )
    for row in rows:
        await events.delete_event(fed, buurt, row.ap_id)
    folder = media.media_directory(instance.settings)
    assert (folder / shared.file_name).is_file() and (folder / icon.file_name).is_file()
    assert not (folder / own.file_name).exists()
    kept = await instance.pool.fetch(
        "SELECT id FROM media WHERE id = ANY($1::bigint[]) ORDER BY id", [shared.id, icon.id, own.id]
    )
    assert [r["id"] for r in kept] == [shared.id, icon.id]


async def _fetch(instance: Instance, url: str) -> tuple[int, str | None]:
    async with instance.session.get(url) as resp:
        await resp.read()
        return resp.status, resp.headers.get("Cache-Control")


async def test_a_kept_picture_is_served_until_nothing_shows_it(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    picture = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), "Het plein")
    first = await events.create_event(fed, buurt, upcoming(), media_ids=(picture.id,))
    url = instance.url(f"/media/{picture.file_name}")
    copy = await events.create_event(
        fed, buurt, upcoming(image_url=url, image_media_type="image/jpeg", image_alt="Plein")
    )
    await events.delete_event(fed, buurt, first.ap_id)
    path = media.media_directory(instance.settings) / picture.file_name
    # the other (public) event still shows it: served to anyone, as before
    assert await _fetch(instance, url) == (200, "public, max-age=86400")
    # the last event showing it is deleted: row and file go, and it answers 404
    await events.delete_event(fed, buurt, copy.ap_id)
    assert not path.exists()
    assert await instance.pool.fetchval("SELECT count(*) FROM media WHERE id = $1", picture.id) == 0
    assert (await _fetch(instance, url))[0] == 404


async def test_a_kept_picture_goes_when_the_last_event_showing_it_is_edited(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    picture = await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), "Het plein")
    first = await events.create_event(fed, buurt, upcoming(), media_ids=(picture.id,))
    url = instance.url(f"/media/{picture.file_name}")
    copy = await events.create_event(
        fed, buurt, upcoming(image_url=url, image_media_type="image/jpeg", image_alt="Plein")
    )
    current = await event_store.event_by_ap_id(instance.pool, first.ap_id)
    assert current is not None
    await events.update_event(fed, buurt, first.ap_id, current.fields, tell_mastodon=False, picture=events.NoPicture())
    path = media.media_directory(instance.settings) / picture.file_name
    assert path.is_file() and (await _fetch(instance, url))[0] == 200  # the copy still shows it
    shown = await event_store.event_by_ap_id(instance.pool, copy.ap_id)
    assert shown is not None
    await events.update_event(fed, buurt, copy.ap_id, shown.fields, tell_mastodon=False, picture=events.NoPicture())
    assert not path.exists()
    assert await instance.pool.fetchval("SELECT count(*) FROM media WHERE id = $1", picture.id) == 0
    assert (await _fetch(instance, url))[0] == 404


async def test_a_kept_private_picture_never_becomes_public(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    fan = await create_local_actor(instance.pool, instance.settings, kind="Person", username="fan")
    stranger = await create_local_actor(instance.pool, instance.settings, kind="Person", username="vreemd")
    other = await create_local_actor(instance.pool, instance.settings, kind="Person", username="kopie")
    await instance.pool.execute(
        "INSERT INTO follows (ap_id, follower_id, followed_id, state) VALUES ($1, $2, $3, 'accepted')",
        instance.url("/follows/fan-ria"),
        fan.id,
        ria.id,
    )
    picture = await store_upload(instance.pool, instance.settings, ria, gps_jpeg(), "Onze tuin")
    private = await events.create_event(fed, ria, upcoming(), media_ids=(picture.id,), visibility="followers")
    url = instance.url(f"/media/{picture.file_name}")
    # someone who saw it shows its address in a public event, and as their icon
    await events.create_event(fed, other, upcoming(image_url=url, image_media_type="image/jpeg", image_alt="Tuin"))
    await instance.pool.execute("UPDATE actors SET icon_url = $1 WHERE id = $2", url, other.id)
    assert (await _fetch(instance, url))[0] == 404  # before: for ria's followers only
    await events.delete_event(fed, ria, private.ap_id)
    assert (media.media_directory(instance.settings) / picture.file_name).is_file()
    assert (await _fetch(instance, url))[0] == 404  # after: still not for anyone
    name = picture.file_name
    assert await media_store.media_access(instance.pool, name, None, url) is None
    assert await media_store.media_access(instance.pool, name, stranger.id, url) is None
    assert await media_store.media_access(instance.pool, name, fan.id, url) == "viewer"
    assert await media_store.media_access(instance.pool, name, ria.id, url) == "viewer"


async def test_media_housekeeping_forgets_a_kept_picture_nothing_shows_any_more(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    logo, plain = [
        await store_upload(instance.pool, instance.settings, buurt, gps_jpeg(), alt) for alt in ("Logo", "Kraam")
    ]
    rows = [await events.create_event(fed, buurt, upcoming(), media_ids=(m.id,)) for m in (logo, plain)]
    logo_url = instance.url(f"/media/{logo.file_name}")
    await instance.pool.execute("UPDATE actors SET icon_url = $1 WHERE id = $2", logo_url, buurt.id)
    for row in rows:
        await events.delete_event(fed, buurt, row.ap_id)
    assert await _fetch(instance, logo_url) == (200, "public, max-age=86400")  # the icon shows it
    result = await clean_media(instance.pool, instance.settings)
    assert result.unshown == 0 and (media.media_directory(instance.settings) / logo.file_name).is_file()
    await instance.pool.execute("UPDATE actors SET icon_url = NULL WHERE id = $1", buurt.id)
    result = await clean_media(instance.pool, instance.settings)
    assert result.unshown == 1
    assert not (media.media_directory(instance.settings) / logo.file_name).exists()
    assert await instance.pool.fetchval("SELECT count(*) FROM media WHERE id = $1", logo.id) == 0
    assert (await _fetch(instance, logo_url))[0] == 404
