"""Groups through the real inbox and worker, with scripted Lemmy- and Mobilizon-style peers:
requests to our neighbourhoods answered with the whole activity, Announces of remote
groups (same-server, cross-server with proofs, Mobilizon's Announce{Note}), posts not
addressed to the group not shown, Deletes by non-moderators ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from activitypub.proofs import sign_object
from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import PUBLIC, processed, send


def lemmy_community(peer: ScriptedPeer, name: str, moderators: list[str]) -> PeerActor:
    group = peer.make_actor(name, kind="Group")
    group.document["attributedTo"] = f"{group.ap_id}/moderators"
    peer.serve(f"/users/{name}", group.document)
    collection = {"id": f"{group.ap_id}/moderators", "type": "OrderedCollection", "orderedItems": moderators}
    peer.serve(f"/users/{name}/moderators", collection)
    return group


def page(
    peer: ScriptedPeer, author: PeerActor, group: PeerActor, title: str, *, served: bool = True, **extra: Any
) -> dict[str, Any]:
    uid = peer.activity_id().rsplit("/", 1)[1]
    doc = {
        "id": f"{peer.base}/post/{uid}",
        "type": "Page",
        "attributedTo": author.ap_id,
        "to": [group.ap_id, PUBLIC],
        "name": title,
        "content": f"<p>{title}</p>",
        "audience": group.ap_id,
        "published": "2021-11-01T12:11:22Z",
    }
    doc.update(extra)
    if served:
        peer.serve(f"/post/{uid}", doc)
    return doc


def create_of(peer: ScriptedPeer, author: PeerActor, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": peer.activity_id(),
        "type": "Create",
        "actor": author.ap_id,
        "to": [PUBLIC],
        "cc": obj.get("to", []),
        "object": obj,
    }


def announce(peer: ScriptedPeer, group: PeerActor, inner: Any) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.activity_id(),
        "type": "Announce",
        "actor": group.ap_id,
        "to": [PUBLIC],
        "cc": [group.ap_id + "/followers"],
        "object": inner,
    }


async def _object(inst: Instance, ap_id: str) -> object_store.ObjectRow | None:
    return await object_store.object_by_ap_id(inst.pool, ap_id)


async def _actor(inst: Instance, ap_id: str) -> ActorRow:
    found = await actor_store.actor_by_ap_id(inst.pool, ap_id)
    assert found is not None
    return found


async def test_join_is_answered_with_the_whole_join_and_uninvited_follow_is_rejected(instance: Instance) -> None:
    fed = federating(instance)
    open_group = await create_neighbourhood(fed, "open")
    closed = await create_neighbourhood(fed, "besloten", membership_mode="invitation")
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        join = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Join",
            "actor": alice.ap_id,
            "object": open_group.ap_id,
        }
        follow = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Follow",
            "actor": alice.ap_id,
            "object": closed.ap_id,
        }
        await send(instance, peer, alice, join)
        await send(instance, peer, alice, follow)
        await wait_for(lambda: processed(instance, 2))
        assert await wait_for(lambda: _answers(peer, 2))
        answers = {a["type"]: a for a in peer.received}
        assert answers["Accept"]["object"] == {k: v for k, v in join.items() if k != "@context"}
        assert answers["Reject"]["object"]["id"] == follow["id"]
        member = await membership_store.membership(
            instance.pool, open_group.id, (await _actor(instance, alice.ap_id)).id
        )
        assert member is not None and member.state == "accepted" and member.via == "Join"
        leave = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Leave",
            "actor": alice.ap_id,
            "object": open_group.ap_id,
        }
        await send(instance, peer, alice, leave)
        await wait_for(lambda: processed(instance, 3))
        assert await membership_store.membership(instance.pool, open_group.id, member.member_id) is None


async def _answers(peer: ScriptedPeer, n: int) -> bool:
    return len(peer.received) >= n


async def test_our_residents_join_of_a_remote_group_is_accepted_by_its_answer(instance: Instance) -> None:
    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        community = lemmy_community(peer, "main", [])
        group = await fed.remote.actor(community.ap_id)
        assert group is not None
        assert await membership.join(fed, bert, group) == "pending"
        assert await wait_for(lambda: _answers(peer, 1))
        follow = peer.received[0]
        assert follow["type"] == "Follow" and follow["object"] == community.ap_id
        accept = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Accept",
            "actor": community.ap_id,
            "object": {k: follow[k] for k in ("id", "type", "actor", "object")},
        }
        await send(instance, peer, community, accept)
        await wait_for(lambda: processed(instance, 1))
        row = await membership_store.membership(instance.pool, group.id, bert.id)
        assert row is not None and row.state == "accepted"


async def test_lemmy_announce_of_a_page_from_the_groups_server_is_shown_in_the_group(instance: Instance) -> None:
    async with scripted_peer() as peer:
        beta = peer.make_actor("lemmy_beta")
        community = lemmy_community(peer, "main", [])
        post = page(peer, beta, community, "post 4")
        await send(instance, peer, community, announce(peer, community, create_of(peer, beta, post)))
        await wait_for(lambda: processed(instance, 1))
        row = await _object(instance, post["id"])
        assert row is not None and row.attributed_to == beta.ap_id
        group = await _actor(instance, community.ap_id)
        assert await neighbourhood_store.groups_of_object(instance.pool, post["id"]) == [group.id]


async def test_a_group_announcing_a_post_not_addressed_to_it_is_not_shown(instance: Instance) -> None:
    async with scripted_peer() as peer:
        beta = peer.make_actor("lemmy_beta")
        community = lemmy_community(peer, "main", [])
        stray = page(peer, beta, community, "elders", to=[PUBLIC])
        stray.pop("audience")
        peer.serve("/post/" + stray["id"].rsplit("/", 1)[1], stray)
        await send(instance, peer, community, announce(peer, community, create_of(peer, beta, stray)))
        await wait_for(lambda: processed(instance, 1))
        assert await _object(instance, stray["id"]) is None


async def test_cross_server_announce_is_believed_on_its_proof_and_a_broken_proof_refused(
    instance: Instance,
) -> None:
    """The posts themselves cannot be fetched: only a valid proof makes the Create believed."""
    async with scripted_peer() as groups, scripted_peer("127.0.0.4") as people:
        community = lemmy_community(groups, "main", [])
        author = people.make_actor("carla")
        post = page(people, author, community, "van ver", served=False)
        signed = sign_object(
            {"@context": AS, **create_of(people, author, post)},
            author.ed25519,  # type: ignore[arg-type]
            verification_method=author.ed25519_key_id,
            created=datetime.now(UTC).replace(microsecond=0),
        )
        people.serve("/activities/" + signed["id"].rsplit("/", 1)[1], signed)
        other = page(people, author, community, "vervalst", served=False)
        forged = {**signed, "id": people.activity_id(), "object": other}
        people.serve("/activities/" + forged["id"].rsplit("/", 1)[1], forged)
        await send(instance, groups, community, announce(groups, community, forged))
        await send(instance, groups, community, announce(groups, community, signed))
        await wait_for(lambda: processed(instance, 2))
        row = await _object(instance, post["id"])
        assert row is not None and "van ver" in row.content
        assert await _object(instance, other["id"]) is None


async def test_mobilizon_announce_of_a_note_refetches_it_from_its_origin(instance: Instance) -> None:
    async with scripted_peer() as peer:
        group = peer.make_actor("contribateliers", kind="Group")
        uid = peer.activity_id().rsplit("/", 1)[1]
        original: dict[str, Any] = {
            "id": f"{peer.base}/p/{uid}",
            "type": "Note",
            "attributedTo": group.ap_id,
            "content": "<p>Atelier jeudi</p>",
            "to": [PUBLIC],
        }
        peer.serve(f"/p/{uid}", original)
        await send(instance, peer, group, announce(peer, group, {**original, "content": "vervalst"}))
        await wait_for(lambda: processed(instance, 1))
        row = await _object(instance, original["id"])
        assert row is not None and "Atelier" in row.content


async def test_announced_delete_counts_only_from_the_author_or_a_moderator(instance: Instance) -> None:
    async with scripted_peer() as peer:
        beta, mallory, mod = peer.make_actor("lemmy_beta"), peer.make_actor("mallory"), peer.make_actor("mod")
        community = lemmy_community(peer, "main", [mod.ap_id])
        post = page(peer, beta, community, "blijft staan")
        await send(instance, peer, community, announce(peer, community, create_of(peer, beta, post)))
        await wait_for(lambda: processed(instance, 1))

        def delete_by(actor: PeerActor) -> dict[str, Any]:
            return {
                "id": peer.activity_id(),
                "type": "Delete",
                "actor": actor.ap_id,
                "object": post["id"],
                "audience": community.ap_id,
            }

        await send(instance, peer, community, announce(peer, community, delete_by(mallory)))
        await wait_for(lambda: processed(instance, 2))
        row = await _object(instance, post["id"])
        assert row is not None and row.deleted_at is None
        await send(instance, peer, community, announce(peer, community, delete_by(mod)))
        await wait_for(lambda: processed(instance, 3))
        row = await _object(instance, post["id"])
        assert row is not None and row.deleted_at is not None
