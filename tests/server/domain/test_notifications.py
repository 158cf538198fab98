"""Notifications: mentions, replies and follows, from local actions and incoming
activities; capped per post; never about something the recipient may not read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.domain import notifications, posts
from server.domain.actors import create_local_actor, generate_keys, insert_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.follows import follow
from server.domain.post_text import MAX_MENTIONS
from server.storage import notifications as notification_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, scripted_peer
from tests.server.test_handlers import PUBLIC, create, note, processed, send


async def _kinds(inst: Instance, actor: ActorRow) -> list[tuple[str, str | None]]:
    rows = await notification_store.notifications_for(inst.pool, actor.id)
    return [(n.kind, n.actor_ap_id) for n in rows]


async def _many_local(inst: Instance, count: int) -> list[ActorRow]:
    keys = await asyncio.to_thread(generate_keys)
    made = []
    async with inst.pool.acquire() as conn:
        for i in range(count):
            made.append(
                await insert_local_actor(
                    conn,
                    inst.settings,
                    keys,
                    kind="Person",
                    username=f"buur{i}",
                    name="",
                    summary="",
                    manually_approves=False,
                )
            )
    return made


async def test_local_mention_reply_and_follow(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    fed = federating(instance)
    post = await publish_draft(fed, anna, Draft(text="Hoi @bob en @anna"))
    assert await _kinds(instance, bob) == [("mention", anna.ap_id)]
    assert await _kinds(instance, anna) == []  # no notification about oneself
    await posts.create_note(fed, bob, "dank je", in_reply_to=post.ap_id)
    assert await _kinds(instance, anna) == [("reply", bob.ap_id)]
    await follow(fed, bob, anna.ap_id)
    await follow(fed, bob, anna.ap_id)  # again: still one notification
    assert await _kinds(instance, anna) == [("follow", bob.ap_id), ("reply", bob.ap_id)]
    assert await notification_store.count_unread(instance.pool, anna.id) == 2
    newest = (await notification_store.notifications_for(instance.pool, anna.id))[0]
    assert await notification_store.mark_read(instance.pool, anna.id, newest.id) == 2
    assert await notification_store.count_unread(instance.pool, anna.id) == 0


async def test_notification_disappears_with_the_post(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    fed = federating(instance)
    post = await publish_draft(fed, anna, Draft(text="@bob kijk", visibility="direct"))
    rows = await notification_store.notifications_for(instance.pool, bob.id)
    assert [r.object_content for r in rows] == [post.content]
    await posts.delete_note(fed, anna, post.ap_id)
    assert await notification_store.notifications_for(instance.pool, bob.id) == []


async def test_mentions_are_capped_per_post(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    neighbours = await _many_local(instance, MAX_MENTIONS + 10)
    text = (
        " ".join(f"@{n.username}" for n in neighbours) + " " + " ".join(f"@x{i}@nowhere.invalid" for i in range(2_000))
    )
    await publish_draft(federating(instance), anna, Draft(text=text, title="Oproep aan iedereen"))
    count = await instance.pool.fetchval("SELECT count(*) FROM notifications")
    assert count == MAX_MENTIONS


def test_bad_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        asyncio.run(notifications.notify(None, 1, "DROP TABLE", None, None))  # type: ignore[arg-type]


async def test_incoming_mentions_reply_and_follow_notify(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    neighbours = await _many_local(instance, MAX_MENTIONS + 10)
    mine = await posts.create_note(federating(instance), anna, "vraag")
    async with scripted_peer() as peer:
        remote = peer.make_actor("rita")
        tags: list[dict[str, Any]] = [{"type": "Mention", "href": n.ap_id} for n in neighbours]
        tags += [{"type": "Mention", "href": f"{peer.base}/users/x{i}"} for i in range(800)]
        mass = dict(note(peer, remote, "iedereen!"), tag=tags, cc=[n.ap_id for n in neighbours[:5]])
        await send(instance, peer, remote, create(peer, remote, mass))
        reply = dict(
            note(peer, remote, "antwoord"), inReplyTo=mine.ap_id, tag=[{"type": "Mention", "href": anna.ap_id}]
        )
        await send(instance, peer, remote, create(peer, remote, reply))
        await send(
            instance,
            peer,
            remote,
            {"@context": AS, "id": peer.activity_id(), "type": "Follow", "actor": remote.ap_id, "object": anna.ap_id},
        )
        await wait_for(lambda: processed(instance, 3))
    count = await instance.pool.fetchval("SELECT count(*) FROM notifications WHERE kind = 'mention'")
    assert count == MAX_MENTIONS  # the mass mention is capped
    assert sorted(await _kinds(instance, anna)) == [("follow", remote.ap_id), ("reply", remote.ap_id)]
    assert PUBLIC  # the remote posts were public


async def test_incoming_reply_without_mention_notifies_as_reply(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    mine = await posts.create_note(federating(instance), anna, "vraag")
    async with scripted_peer() as peer:
        remote = peer.make_actor("rita")
        await send(instance, peer, remote, create(peer, remote, dict(note(peer, remote, "ja"), inReplyTo=mine.ap_id)))
        await wait_for(lambda: processed(instance, 1))
    assert await _kinds(instance, anna) == [("reply", remote.ap_id)]
