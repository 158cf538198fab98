"""Moderation, through a real instance and a scripted remote follower: removal reaches the
group's followers, moderated posting queues, reports are forwarded as Flag, domain blocks
(suspend | limit), allowlist-only federation, actor suspension, the moderation log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.domain import membership, moderation
from server.domain.actors import create_account as create_admin_account
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import inbox as inbox_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import create, note, processed, send


def received(peer: ScriptedPeer, kind: str, inner: str | None = None) -> list[dict[str, Any]]:
    found = [a for a in peer.received if a.get("type") == kind]
    if inner is not None:
        found = [a for a in found if isinstance(a.get("object"), dict) and a["object"].get("type") == inner]
    return found


async def follow_group(inst: Instance, peer: ScriptedPeer, actor: PeerActor, group: ActorRow) -> None:
    await send(
        inst,
        peer,
        actor,
        {"@context": AS, "id": peer.activity_id(), "type": "Follow", "actor": actor.ap_id, "object": group.ap_id},
    )
    assert await wait_for(lambda: _has(peer, "Accept"))


async def _has(peer: ScriptedPeer, kind: str, inner: str | None = None, n: int = 1) -> bool:
    return len(received(peer, kind, inner)) >= n


async def test_moderator_removal_is_a_tombstone_and_an_announced_delete(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "oost", founder=anna)
    await membership.join(fed, bert, group)
    async with scripted_peer() as peer:
        await follow_group(instance, peer, peer.make_actor("volger"), group)
        post = await post_to_neighbourhood(fed, bert, group, "fiets te koop")
        assert await wait_for(lambda: _has(peer, "Announce", "Create"))
        announced = received(peer, "Announce", "Create")[0]
        assert announced["audience"] == group.ap_id and announced["object"]["object"]["id"] == post.ap_id
        assert "proof" in announced["object"]  # the member's own signed Create, unchanged
        with pytest.raises(membership.NotAllowed):
            await moderation.remove_post(fed, bert, group, post.ap_id)
        assert await moderation.remove_post(fed, anna, group, post.ap_id, "handel")
        assert await wait_for(lambda: _has(peer, "Announce", "Delete"))
        delete = received(peer, "Announce", "Delete")[0]["object"]
        assert delete["actor"] == anna.ap_id and delete["object"] == post.ap_id and "proof" in delete
    row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
    assert row is not None and row.deleted_at is not None
    log = await instance_policy.moderation_log(instance.pool, group_id=group.id)
    assert [e.action for e in log][:1] == ["remove_post"]


async def test_moderated_posting_queues_until_approved(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "gemodereerd", founder=anna, posting_mode="moderated")
    await membership.join(fed, bert, group)
    async with scripted_peer() as peer:
        await follow_group(instance, peer, peer.make_actor("volger"), group)
        post = await post_to_neighbourhood(fed, bert, group, "mag dit?")
        mine = await post_to_neighbourhood(fed, anna, group, "moderator mag altijd")
        assert await wait_for(lambda: _has(peer, "Announce", "Create"))
        assert [a["object"]["object"]["id"] for a in received(peer, "Announce", "Create")] == [mine.ap_id]
        assert await moderation.decide_queued_post(fed, anna, group, post.ap_id, approve=True) == "announced"
        assert await wait_for(lambda: _has(peer, "Announce", "Create", 2))


async def test_report_of_a_remote_post_is_forwarded_from_the_instance_actor(instance: Instance) -> None:
    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        author = peer.make_actor("schreeuwer")
        post = note(peer, author, "scheldwoorden")
        await send(instance, peer, author, create(peer, author, post))
        await wait_for(lambda: processed(instance, 1))
        await moderation.report(fed, bert, [post["id"]], "beledigend", forward=True)
        assert await wait_for(lambda: _has(peer, "Flag"))
        flag = received(peer, "Flag")[0]
        assert flag["actor"] == instance.base_url + "/actor"  # never the reporter
        assert flag["object"] == [author.ap_id, post["id"]] and flag["content"] == "beledigend"
        assert bert.ap_id not in str(flag)


async def test_domain_suspend_refuses_and_limit_makes_joins_wait(instance: Instance) -> None:
    fed = federating(instance)
    admin = await create_admin_account(
        instance.pool, instance.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "open")
    with pytest.raises(membership.NotAllowed):
        await moderation.block_domain(fed, bert, "127.0.0.3", "suspend")
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend")
        await send(instance, peer, alice, create(peer, alice, note(peer, alice, "weg")))
        assert await inbox_store.count_by_state(instance.pool) == {}
        await moderation.block_domain(fed, admin, "127.0.0.3", "limit")
        await send(
            instance,
            peer,
            alice,
            {"@context": AS, "id": peer.activity_id(), "type": "Join", "actor": alice.ap_id, "object": group.ap_id},
        )
        await wait_for(lambda: processed(instance, 1))
        remote = await _remote(instance, alice.ap_id)
        member = await membership_store.membership(instance.pool, group.id, remote.id)
        assert member is not None and member.state == "pending"
        assert not received(peer, "Accept")


async def test_suspended_actor_is_refused_at_the_inbox(instance: Instance) -> None:
    fed = federating(instance)
    admin = await create_admin_account(
        instance.pool, instance.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        await send(instance, peer, alice, create(peer, alice, note(peer, alice, "eerste")))
        await wait_for(lambda: processed(instance, 1))
        await moderation.suspend_actor(fed, admin, await _remote(instance, alice.ap_id), reason="spam")
        await send(instance, peer, alice, create(peer, alice, note(peer, alice, "tweede")))
        assert (await inbox_store.count_by_state(instance.pool)).get("done") == 1
        assert sum((await inbox_store.count_by_state(instance.pool)).values()) == 1
    assert [e.action for e in await instance_policy.moderation_log(instance.pool)] == ["suspend"]


async def test_allowlist_only_federation_refuses_other_domains(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, federation_allowlist_only=True
    ) as inst:
        admin = await create_admin_account(
            inst.pool, inst.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
        )
        async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
            alice, bob = peer.make_actor("alice"), friend.make_actor("bob")
            await moderation.set_domain_allowed(federating(inst), admin, "127.0.0.4", True)
            await send(inst, peer, alice, create(peer, alice, note(peer, alice, "niet toegestaan")))
            await send(inst, friend, bob, create(friend, bob, note(friend, bob, "welkom")))
            await wait_for(lambda: processed(inst, 1))
            assert sum((await inbox_store.count_by_state(inst.pool)).values()) == 1
            assert await _remote_or_none(inst, bob.ap_id) is not None


async def _remote(inst: Instance, ap_id: str) -> ActorRow:
    found = await _remote_or_none(inst, ap_id)
    assert found is not None
    return found


async def _remote_or_none(inst: Instance, ap_id: str) -> ActorRow | None:
    from server.storage import actors as actor_store

    return await actor_store.actor_by_ap_id(inst.pool, ap_id)
