"""The inbox's hot path for a sender whose key is in memory: the instance policy is checked
in the statement that stores the activity, and refuses as the full path does."""

from __future__ import annotations

from typing import Any

import orjson

from server.appkeys import REMOTE
from server.storage import actors as actor_store
from server.storage import instance_policy
from server.storage import policy as policy_store
from tests.harness import Instance
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer
from tests.server.routes.test_inbox import note_create, post, stored


async def send(inst: Instance, peer: ScriptedPeer, actor: PeerActor, **changes: Any) -> int:
    body = orjson.dumps(note_create(peer, actor, **changes))
    return await post(inst, "/inbox", body, peer.signed_headers(actor, inst.url("/inbox"), body))


async def remembered_sender(inst: Instance, peer: ScriptedPeer) -> PeerActor:
    """A sender whose first activity was accepted, so its key is now in memory."""
    actor = peer.make_actor("alice")
    assert await send(inst, peer, actor) == 202
    assert await stored(inst) == 1
    assert inst.app[REMOTE].remembered_key(actor.key_id) is not None
    return actor


async def test_remembered_sender_is_stored_and_deduplicated_without_a_fetch(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = await remembered_sender(instance, peer)
        fetches = len(peer.requests)
        activity = note_create(peer, actor)
        body = orjson.dumps(activity)
        for _ in range(2):
            headers = peer.signed_headers(actor, instance.url("/inbox"), body)
            assert await post(instance, "/inbox", body, headers) == 202
        assert await stored(instance) == 2
        assert len(peer.requests) == fetches


async def test_domain_blocked_after_the_key_was_remembered_is_dropped(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = await remembered_sender(instance, peer)
        await policy_store.block_domain(instance.pool, "127.0.0.3")
        assert await send(instance, peer, actor) == 202
        assert await stored(instance) == 1


async def test_actor_suspended_after_the_key_was_remembered_is_dropped(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = await remembered_sender(instance, peer)
        row = await actor_store.actor_by_ap_id(instance.pool, actor.ap_id)
        assert row is not None
        assert await instance_policy.set_suspended(instance.pool, row.id, True)
        assert await send(instance, peer, actor) == 202
        assert await stored(instance) == 1
        assert await instance_policy.set_suspended(instance.pool, row.id, False)
        assert await send(instance, peer, actor) == 202
        assert await stored(instance) == 2


async def test_forged_signature_from_a_remembered_sender_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = await remembered_sender(instance, peer)
        body = orjson.dumps(note_create(peer, actor))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body)
        assert await post(instance, "/inbox", body + b" ", headers) == 401
        assert await stored(instance) == 1
