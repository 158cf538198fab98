"""Media access on a real instance: an image of a public post is served to anyone and may
be cached; an image of a followers-only post only to a follower (here a remote follower
on a signed request), 404 to strangers; deleting a post removes its images from disk
after the Delete is queued."""

from __future__ import annotations

from datetime import UTC, datetime

from activitypub.request_signing import sign_request
from server.domain import media
from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.media import store_upload
from server.domain.posts import delete_note
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, scripted_peer
from tests.server.domain.test_media import gps_jpeg
from tests.server.domain.test_polls import processed, send


async def fetch(inst: Instance, url: str, signer: PeerActor | None = None) -> tuple[int, str]:
    headers = {"Accept": "image/*"}
    if signer is not None:
        headers = sign_request(
            "GET", url, headers, None, key_id=signer.key_id, private_key=signer.private_key, now=datetime.now(UTC)
        )  # type: ignore[arg-type]
    async with inst.session.get(url, headers=headers) as resp:
        await resp.read()
        return resp.status, resp.headers.get("Cache-Control", "")


async def test_followers_only_images_are_served_to_followers_alone(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    open_image = await store_upload(instance.pool, instance.settings, anna, gps_jpeg(), "Het plein")
    closed_image = await store_upload(instance.pool, instance.settings, anna, gps_jpeg(), "Onze tuin")
    await publish_draft(fed, anna, Draft(text="open", media_ids=(open_image.id,)))
    await publish_draft(fed, anna, Draft(text="voor volgers", visibility="followers", media_ids=(closed_image.id,)))
    open_url = instance.url(f"/media/{open_image.file_name}")
    closed_url = instance.url(f"/media/{closed_image.file_name}")
    assert await fetch(instance, open_url) == (200, "public, max-age=86400")
    assert (await fetch(instance, closed_url))[0] == 404  # a stranger
    async with scripted_peer() as peer:
        friend, stranger = peer.make_actor("vriend"), peer.make_actor("vreemde")
        follow = {"@context": AS, "id": peer.activity_id(), "type": "Follow", "actor": friend.ap_id,
                  "object": anna.ap_id}  # fmt: skip
        await send(instance, peer, friend, follow)
        await wait_for(lambda: processed(instance, 1))
        assert (await fetch(instance, closed_url, stranger))[0] == 404
        assert await fetch(instance, closed_url, friend) == (200, "private, no-store")
        assert (await fetch(instance, open_url, stranger))[0] == 200


async def test_deleting_a_post_removes_its_images_from_disk(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    kept = await store_upload(instance.pool, instance.settings, anna, gps_jpeg(), "blijft")
    gone = await store_upload(instance.pool, instance.settings, anna, gps_jpeg(), "gaat weg")
    await publish_draft(fed, anna, Draft(text="blijft", media_ids=(kept.id,)))
    post = await publish_draft(fed, anna, Draft(text="weg", media_ids=(gone.id,)))
    directory = media.media_directory(instance.settings)
    assert (directory / gone.file_name).is_file()
    await delete_note(fed, anna, post.ap_id)
    assert not (directory / gone.file_name).exists()
    assert (directory / kept.file_name).is_file()
    queued = await instance.pool.fetchval(
        """SELECT count(*) FROM outgoing_activities
           WHERE document->>'type' = 'Delete' AND document->'object'->>'id' = $1""",
        post.ap_id,
    )
    assert queued == 1
    assert (await fetch(instance, instance.url(f"/media/{gone.file_name}")))[0] == 404
