"""Notifications from actors on a *limited* domain: mentions, replies, likes and boosts reach
only the residents who follow that actor; after the limit is lifted, everyone again.
Follows and other kinds are not held back."""

from __future__ import annotations

import uuid

from server.domain import moderation
from server.domain.actors import create_account, create_local_actor
from server.domain.notifications import notify, notify_about_post
from server.storage import follows as follow_store
from server.storage import moderation_views
from server.storage import notifications as notification_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from tests.harness import Instance, federating
from tests.server.storage.test_limited_flags import remote


async def note(inst: Instance, author: ActorRow, text: str, in_reply_to: str | None = None) -> ObjectRow:
    ap_id = f"{author.ap_id}/notes/{uuid.uuid4().hex}"
    row = await object_store.insert_object(
        inst.pool,
        {
            "ap_id": ap_id,
            "type": "Note",
            "actor_id": author.id,
            "attributed_to": author.ap_id,
            "in_reply_to": in_reply_to,
            "visibility": "public",
            "is_local": author.is_local,
            "content": f"<p>{text}</p>",
            "document": {"id": ap_id, "type": "Note", "attributedTo": author.ap_id, "content": text},
        },
    )
    assert row is not None
    return row


async def kinds(inst: Instance, recipient: ActorRow) -> list[str]:
    return sorted(n.kind for n in await notification_store.notifications_for(inst.pool, recipient.id))


async def test_limited_actors_notify_only_their_followers(instance: Instance) -> None:
    inst = instance
    admin = await create_account(
        inst.pool, inst.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    bram = await create_local_actor(inst.pool, inst.settings, kind="Person", username="bram")
    zoe = await remote(inst, "zoe", "spam.limited.example")
    await follow_store.upsert_follow(inst.pool, f"{anna.ap_id}#follows/zoe", anna.id, zoe.id, "accepted")
    anna_post = await note(inst, anna, "Wie helpt opruimen?")
    bram_post = await note(inst, bram, "Wie heeft een ladder?")
    await moderation.block_domain(federating(inst), admin, "limited.example", "limit")

    # zoe answers bram and mentions anna and bram; then answers anna and mentions bram
    await notify_about_post(inst.pool, await note(inst, zoe, "Koop nu", bram_post.ap_id), [anna.id, bram.id])
    await notify_about_post(inst.pool, await note(inst, zoe, "Ik help", anna_post.ap_id), [bram.id])
    assert await kinds(inst, anna) == ["mention", "reply"]  # she follows zoe
    assert await kinds(inst, bram) == []
    assert not await notify(inst.pool, bram.id, "like", zoe.id, bram_post.ap_id)
    assert not await notify(inst.pool, bram.id, "boost", zoe.id, bram_post.ap_id)
    assert await notify(inst.pool, anna.id, "like", zoe.id, anna_post.ap_id)
    assert await notify(inst.pool, bram.id, "follow", zoe.id, None)  # not a kind held back

    assert await moderation_views.remove_domain_block(inst.pool, "limited.example")
    await notify_about_post(inst.pool, await note(inst, zoe, "Nog eens", bram_post.ap_id), [])
    assert await notify(inst.pool, bram.id, "like", zoe.id, bram_post.ap_id)
    assert await kinds(inst, bram) == ["follow", "like", "reply"]
