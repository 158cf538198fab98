"""Posts across three real instances: mentions by handle notify on the other instance,
content warnings, language and attachments (with alt text) survive federation, and a
followers-only post never shows on a public surface or reaches a non-follower's server."""

from __future__ import annotations

import io

from PIL import Image

from server.domain import posts
from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.follows import follow
from server.domain.media import store_upload
from server.storage import follows as follow_store
from server.storage import notifications as notification_store
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage import threads
from server.storage.actors import ActorRow, actor_by_ap_id
from server.storage.timelines import home_timeline
from tests.harness import Instance, federating, wait_for

ACTIVITY = {"Accept": "application/activity+json"}


def handle(inst: Instance, actor: ActorRow) -> str:
    return f"@{actor.username}@{inst.settings.host}"


async def _stored(inst: Instance, ap_id: str) -> object_store.ObjectRow | None:
    return await object_store.object_by_ap_id(inst.pool, ap_id)


async def _accepted(inst: Instance, follower: str, followed: str) -> bool:
    a, b = await actor_by_ap_id(inst.pool, follower), await actor_by_ap_id(inst.pool, followed)
    return a is not None and b is not None and await follow_store.follow_state(inst.pool, a.id, b.id) == "accepted"


async def test_mentions_cw_language_and_attachments_federate(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _ = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    image = io.BytesIO()
    Image.new("RGB", (30, 20), (0, 128, 0)).save(image, format="PNG")
    medium = await store_upload(a.pool, a.settings, anna, image.getvalue(), "Groen grasveld")
    draft = Draft(
        text=f"Hoi {handle(b, bob)}, kom je? #Buurtfeest",
        summary="Over het feest",
        language="nl",
        media_ids=(medium.id,),
    )
    post = await publish_draft(federating(a), anna, draft)

    on_b = await wait_for(lambda: _stored(b, post.ap_id))
    doc = on_b.document
    assert doc["summary"] == "Over het feest" and doc["sensitive"] is True
    assert doc["contentMap"] == {"nl": doc["content"]}
    assert doc["attachment"][0]["name"] == "Groen grasveld"
    assert doc["attachment"][0]["url"] == a.url(f"/media/{medium.file_name}")
    assert {"type": "Mention", "href": bob.ap_id, "name": handle(b, bob)} in doc["tag"]
    assert 'class="u-url mention"' in on_b.content
    notes = await wait_for(lambda: notification_store.notifications_for(b.pool, bob.id))
    assert [(n.kind, n.actor_ap_id, n.object_ap_id) for n in notes] == [("mention", anna.ap_id, post.ap_id)]
    assert [r.ap_id for r in await tag_store.public_posts_with_tag(b.pool, "buurtfeest")] == [post.ap_id]

    # bob answers; anna on A is told about the reply
    reply = await posts.create_note(federating(b), bob, "Ja!", in_reply_to=post.ap_id)
    assert await wait_for(lambda: _stored(a, reply.ap_id))
    anna_notes = await wait_for(lambda: notification_store.notifications_for(a.pool, anna.id))
    assert [(n.kind, n.actor_ap_id) for n in anna_notes] == [("reply", bob.ap_id)]


async def test_followers_only_post_stays_off_public_surfaces(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    dave = await create_local_actor(b.pool, b.settings, kind="Person", username="dave")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    await follow(federating(b), bob, anna.ap_id)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, anna.ap_id))
    secret = await publish_draft(federating(a), anna, Draft(text="Alleen voor volgers #geheim", visibility="followers"))
    public = await publish_draft(federating(a), anna, Draft(text="Voor iedereen #open"))

    on_b = await wait_for(lambda: _stored(b, secret.ap_id))
    assert on_b.visibility == "followers"
    assert await wait_for(lambda: _stored(b, public.ap_id))
    # B: the follower sees it; a non-follower on the same instance and anonymous readers do not
    assert secret.ap_id in [r.ap_id for r in await home_timeline(b.pool, bob.id)]
    assert await home_timeline(b.pool, dave.id) == []
    assert await threads.thread_of(b.pool, secret.ap_id, None) == []
    assert await threads.thread_of(b.pool, secret.ap_id, dave.id) == []
    assert await tag_store.public_posts_with_tag(b.pool, "geheim") == []
    # A: public surfaces do not show it
    assert await tag_store.public_posts_with_tag(a.pool, "geheim") == []
    uid = secret.ap_id.rsplit("/", 1)[1]
    for accept in (ACTIVITY, {"Accept": "text/html"}):
        async with a.session.get(a.url(f"/objects/{uid}"), headers=accept) as resp:
            assert resp.status == 404
    async with a.session.get(a.url("/actors/anna/outbox?page=true"), headers=ACTIVITY) as resp:
        outbox = await resp.text()
    assert secret.ap_id not in outbox
    # C (no follower there) never got it, and can not fetch it
    assert await _stored(c, secret.ap_id) is None
    assert await federating(c).remote.fetch_document(secret.ap_id) is None
    assert carol.id  # carol exists on C, and follows nobody
