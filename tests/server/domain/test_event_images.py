"""Event pictures on a real instance: an event created with an uploaded image carries it
as an `attachment` Document (mediaType, url, alt text as name) in the stored and the sent
document, keeps it through an edit, and loses it from disk when the event is deleted; a
received Gancio-style event keeps its picture as a remote URL."""

from __future__ import annotations

from dataclasses import replace

from server.domain import events, media
from server.domain.actors import create_local_actor
from server.domain.media import store_upload
from server.storage import events as event_store
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
