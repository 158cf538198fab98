"""Handlers through the real inbox and worker: ownership rules, forged embedded objects,
Delete before Create, unknown types ignored and counted."""

from __future__ import annotations

from typing import Any

import orjson

from server.appkeys import METRICS
from server.storage import inbox as inbox_store
from server.storage import objects as object_store
from tests.harness import Instance, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer

PUBLIC = f"{AS}#Public"


async def send(inst: Instance, peer: ScriptedPeer, actor: PeerActor, activity: dict[str, Any]) -> None:
    body = orjson.dumps(activity)
    headers = peer.signed_headers(actor, inst.url("/inbox"), body)
    async with inst.session.post(inst.url("/inbox"), data=body, headers=headers) as resp:
        assert resp.status == 202, await resp.text()


async def processed(inst: Instance, n: int) -> bool:
    states = await inbox_store.count_by_state(inst.pool)
    return states.get("done", 0) + states.get("ignored", 0) + states.get("failed", 0) >= n


def note(peer: ScriptedPeer, author: PeerActor, content: str) -> dict[str, Any]:
    return {
        "id": f"{peer.base}/notes/{peer.activity_id().rsplit('/', 1)[1]}",
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": content,
        "to": [PUBLIC],
    }


def create(peer: ScriptedPeer, actor: PeerActor, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.activity_id(),
        "type": "Create",
        "actor": actor.ap_id,
        "object": obj,
        "to": [PUBLIC],
    }


async def test_update_and_delete_by_someone_else_change_nothing(instance: Instance) -> None:
    async with scripted_peer() as peer:
        alice, mallory = peer.make_actor("alice"), peer.make_actor("mallory")
        post = note(peer, alice, "van alice")
        await send(instance, peer, alice, create(peer, alice, post))
        await wait_for(lambda: processed(instance, 1))
        forged = dict(post, content="van mallory", attributedTo=alice.ap_id)
        update = orjson.dumps(
            {
                "@context": AS,
                "id": peer.activity_id(),
                "type": "Update",
                "actor": mallory.ap_id,
                "object": forged,
            }
        )
        headers = peer.signed_headers(mallory, instance.url("/inbox"), update)
        async with instance.session.post(instance.url("/inbox"), data=update, headers=headers) as resp:
            # same server as alice, so accepted at the door; the handler refuses it (not the owner)
            assert resp.status == 202
        # A Delete names only an id: accepted, then refused by the handler (not the owner).
        await send(
            instance,
            peer,
            mallory,
            {
                "@context": AS,
                "id": peer.activity_id(),
                "type": "Delete",
                "actor": mallory.ap_id,
                "object": post["id"],
            },
        )
        await wait_for(lambda: processed(instance, 3))
        assert (await inbox_store.count_by_state(instance.pool)) == {"done": 1, "ignored": 2}
        row = await object_store.object_by_ap_id(instance.pool, post["id"])
        assert row is not None and row.deleted_at is None and "van alice" in row.content


async def test_delete_that_arrives_before_its_create_wins(instance: Instance) -> None:
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        post = note(peer, alice, "te laat")
        await send(
            instance,
            peer,
            alice,
            {
                "@context": AS,
                "id": peer.activity_id(),
                "type": "Delete",
                "actor": alice.ap_id,
                "object": post["id"],
            },
        )
        await wait_for(lambda: processed(instance, 1))
        await send(instance, peer, alice, create(peer, alice, post))
        await wait_for(lambda: processed(instance, 2))
        row = await object_store.object_by_ap_id(instance.pool, post["id"])
        assert row is not None and row.deleted_at is not None and row.content == ""


async def test_announce_with_a_forged_embedded_object_stores_the_original(
    instance: Instance,
) -> None:
    async with scripted_peer() as origin, scripted_peer("127.0.0.4") as relay:
        author = origin.make_actor("author")
        original = note(origin, author, "het echte bericht")
        origin.serve("/notes/" + original["id"].rsplit("/", 1)[1], original)
        booster = relay.make_actor("booster")
        forged = dict(original, content="VERVALST")
        announce = {
            "@context": AS,
            "id": relay.activity_id(),
            "type": "Announce",
            "actor": booster.ap_id,
            "object": forged,
            "to": [PUBLIC],
        }
        await send(instance, relay, booster, announce)
        await wait_for(lambda: processed(instance, 1))
        row = await object_store.object_by_ap_id(instance.pool, original["id"])
        assert row is not None and "het echte bericht" in row.content and "VERVALST" not in row.content
        assert ("Announce", booster.ap_id) in await object_store.reactions_of(instance.pool, original["id"])


async def test_announce_of_an_object_that_cannot_be_fetched_is_dropped(instance: Instance) -> None:
    async with scripted_peer() as peer:
        booster = peer.make_actor("booster")
        announce = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Announce",
            "actor": booster.ap_id,
            "object": {
                "id": f"{peer.base}/notes/missing",
                "type": "Note",
                "attributedTo": booster.ap_id,
                "content": "niet te halen",
            },
            "to": [PUBLIC],
        }
        await send(instance, peer, booster, announce)
        await wait_for(lambda: processed(instance, 1))
        assert await object_store.object_by_ap_id(instance.pool, f"{peer.base}/notes/missing") is None


async def test_unknown_activity_types_are_accepted_ignored_and_counted(instance: Instance) -> None:
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        await send(
            instance,
            peer,
            alice,
            {
                "@context": AS,
                "id": peer.activity_id(),
                "type": "Dislike",
                "actor": alice.ap_id,
                "object": f"{peer.base}/x",
            },
        )
        await wait_for(lambda: processed(instance, 1))
        assert await inbox_store.count_by_state(instance.pool) == {"ignored": 1}
        assert instance.app[METRICS].handled[("Dislike", "ignored")] == 1


async def test_create_of_an_object_attributed_to_an_actor_elsewhere_is_refused(
    instance: Instance,
) -> None:
    async with scripted_peer() as peer, scripted_peer("127.0.0.4") as other:
        alice, mallory = other.make_actor("alice"), peer.make_actor("mallory")
        forged = note(peer, alice, "niet van mallory")  # id on mallory's server, author elsewhere
        body = orjson.dumps(create(peer, mallory, forged))
        headers = peer.signed_headers(mallory, instance.url("/inbox"), body)
        async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
            assert resp.status == 403
        assert await inbox_store.count_by_state(instance.pool) == {}


async def test_create_attributed_to_another_actor_of_the_same_server_is_not_stored_as_theirs(
    instance: Instance,
) -> None:
    """Accepted at the door (a server may attribute to its own actors, as Mobilizon does for
    group events), but the general handler stores no post that is not the sender's own."""
    async with scripted_peer() as peer:
        alice, mallory = peer.make_actor("alice"), peer.make_actor("mallory")
        forged = note(peer, alice, "niet van mallory")
        await send(instance, peer, mallory, create(peer, mallory, forged))
        await wait_for(lambda: processed(instance, 1))
        assert await object_store.object_by_ap_id(instance.pool, forged["id"]) is None
