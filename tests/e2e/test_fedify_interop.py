"""Buurtplein and an independent Fedify 1.5.9 server federate both ways on loopback:
follow with Accept, Create/Note, Delete and Undo — every signature verified by both sides
(Fedify verifies our draft-cavage signatures and FEP-8b32 proofs; we verify its)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.domain import follows, posts
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import deliveries as delivery_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from tests.harness import Instance, federating, wait_for
from tests.peers.fedify_peer import FedifyPeer

pytestmark = pytest.mark.skipif(not FedifyPeer.is_available(), reason=FedifyPeer.unavailable_reason() or "")


@pytest.fixture
async def fedify() -> AsyncIterator[FedifyPeer]:
    async with FedifyPeer(host="127.0.0.5") as peer:
        yield peer


async def _received(peer: FedifyPeer, kind: str, object_id: str | None = None) -> dict[str, Any] | None:
    for item in await peer.received():
        activity = item.get("activity", {})
        obj = activity.get("object")
        found_id = obj.get("id") if isinstance(obj, dict) else obj
        if item.get("type") == kind and (object_id is None or found_id == object_id):
            return item
    return None


async def test_fedify_follows_a_neighbourhood_and_receives_its_posts(instance: Instance, fedify: FedifyPeer) -> None:
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    await fedify.follow(buurt.ap_id)

    async def accepted() -> bool:
        return any(f.get("state") == "accepted" for f in await fedify.following())

    assert await wait_for(accepted, timeout=20)
    remote = await actor_store.actor_by_ap_id(instance.pool, fedify.actor_url)
    assert remote is not None
    assert await follow_store.follow_state(instance.pool, remote.id, buurt.id) == "accepted"

    note = await posts.create_note(federating(instance), buurt, "<p>Buurtfeest op het plein</p>")
    create = await wait_for(lambda: _received(fedify, "Create", note.ap_id), timeout=20)
    assert create["verified"] is True
    # Fedify 1.5.9 does not read RFC 9421 signatures, but accepts the activity on its
    # FEP-8b32 proof (eddsa-jcs-2022), which it verifies against our assertionMethod.
    assert create["signatures"]["objectProof"] is True, create["signatures"]

    # With the host's scheme set to draft-cavage, Fedify verifies our HTTP signature too.
    host = await delivery_store.host_row(instance.pool, fedify.authority)
    await delivery_store.save_host(instance.pool, dataclasses.replace(host, signature_scheme="cavage"))
    second = await posts.create_note(federating(instance), buurt, "<p>Nog een bericht</p>")
    create = await wait_for(lambda: _received(fedify, "Create", second.ap_id), timeout=20)
    assert create["signatures"]["httpSignature"] is True, create["signatures"]
    assert create["signatures"]["objectProof"] is True, create["signatures"]

    await posts.delete_note(federating(instance), buurt, note.ap_id)
    assert await wait_for(lambda: _received(fedify, "Delete"), timeout=20)

    await fedify.unfollow(buurt.ap_id)

    async def unfollowed() -> bool:
        return await follow_store.follow_state(instance.pool, remote.id, buurt.id) is None

    assert await wait_for(unfollowed, timeout=20)


async def test_a_resident_follows_a_fedify_actor_and_receives_its_notes(instance: Instance, fedify: FedifyPeer) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    await follows.follow(federating(instance), anna, fedify.actor_url)
    remote = await actor_store.actor_by_ap_id(instance.pool, fedify.actor_url)
    assert remote is not None

    async def accepted() -> bool:
        return await follow_store.follow_state(instance.pool, anna.id, remote.id) == "accepted"

    assert await wait_for(accepted, timeout=20)
    assert anna.ap_id in await fedify.followers()

    note_id = await fedify.post_note("Hallo vanuit Fedify")
    stored = await wait_for(lambda: object_store.object_by_ap_id(instance.pool, note_id), timeout=20)
    assert "Hallo vanuit Fedify" in stored.content
    assert stored.visibility == "public"

    await fedify.delete(note_id)

    async def deleted() -> bool:
        row = await object_store.object_by_ap_id(instance.pool, note_id)
        return row is not None and row.deleted_at is not None

    assert await wait_for(deleted, timeout=20)

    await follows.unfollow(federating(instance), anna, remote)

    async def gone() -> bool:
        return anna.ap_id not in await fedify.followers()

    assert await wait_for(gone, timeout=20)
