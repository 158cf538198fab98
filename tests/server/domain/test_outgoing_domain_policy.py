"""Outgoing deliveries and fetches obey the instance's domain policy, through a real
instance and scripted remote servers on loopback: no delivery row for an inbox on a
suspended domain (or, allowlist-only, on a domain not allowed), queued deliveries end when
a domain is suspended, no request at all to such a host (also not through a redirect),
and a suspension ends follows and memberships without sending anything. A `limit` block
restricts nothing outgoing.

The scripted peers listen on 127.0.0.3 and 127.0.0.4 with a port: deliveries keep the host
as "127.0.0.3:port", and a block of "127.0.0.3" covers it (the port is dropped, as
instance_policy.refusal_domains does)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from federation.actors import read_actor
from federation.hoststate import host_of
from federation.webfinger import Unresolved, resolve_handle
from server.domain import moderation
from server.domain.actors import create_account as create_admin_account
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import create_note
from server.remote import actor_fields
from server.storage import actors as actor_store
from server.storage import deliveries as delivery_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer


async def remote_row(inst: Instance, actor: PeerActor) -> ActorRow:
    """The peer's actor as if fetched earlier (no request now)."""
    parsed = read_actor(actor.document)
    assert not isinstance(parsed, str)
    return await actor_store.upsert_remote_actor(inst.pool, actor_fields(parsed))


async def follows(inst: Instance, follower: ActorRow, followed: ActorRow) -> None:
    await follow_store.upsert_follow(
        inst.pool, f"{follower.ap_id}#follows-{followed.id}", follower.id, followed.id, "accepted"
    )


async def admin_of(inst: Instance) -> ActorRow:
    return await create_admin_account(
        inst.pool, inst.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )


async def deliveries_to(pool: Pool, peer: ScriptedPeer) -> list[tuple[str, str | None]]:
    rows = await pool.fetch("SELECT state, last_error FROM deliveries WHERE host = $1 ORDER BY id", host_of(peer.base))
    return [(r["state"], r["last_error"]) for r in rows]


def creates(peer: ScriptedPeer) -> list[str]:
    return [a["object"]["content"] for a in peer.received if a.get("type") == "Create"]


async def test_no_delivery_to_a_follower_on_a_suspended_domain(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
        await follows(instance, await remote_row(instance, peer.make_actor("alice")), anna)
        await follows(instance, await remote_row(instance, friend.make_actor("bob")), anna)
        # a block stored while the follow stays (in an admin's hands both end together)
        await instance_policy.set_domain_block(instance.pool, "127.0.0.3", "suspend")
        await create_note(fed, anna, "<p>hallo buren</p>")
        assert await wait_for(lambda: _has_create(friend))
        assert await deliveries_to(instance.pool, peer) == []
        assert [state for state, _ in await deliveries_to(instance.pool, friend)] == ["done"]
        assert peer.requests == []


async def _has_create(peer: ScriptedPeer) -> bool:
    return bool(creates(peer))


async def test_suspending_a_domain_ends_its_queued_deliveries(instance: Instance) -> None:
    fed = federating(instance)
    admin = await admin_of(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    async with scripted_peer() as peer:
        # the host is paused: its delivery stays queued until the suspension
        paused = delivery_store.HostRow(
            host_of(peer.base), 3, datetime.now(UTC) + timedelta(hours=1), (), None, None, None
        )
        await delivery_store.save_host(instance.pool, paused)
        await follows(instance, await remote_row(instance, peer.make_actor("alice")), anna)
        await create_note(fed, anna, "<p>nog in de wachtrij</p>")
        assert await deliveries_to(instance.pool, peer) == [("queued", None)]
        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend", "spam")
        assert await deliveries_to(instance.pool, peer) == [("failed", "domain suspended")]
        assert peer.requests == []


async def test_allowlist_only_delivers_only_to_allowed_domains(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, federation_allowlist_only=True
    ) as inst:
        fed = federating(inst)
        admin = await admin_of(inst)
        anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
        async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
            await moderation.set_domain_allowed(fed, admin, "127.0.0.4", True)
            alice, bob = peer.make_actor("alice"), friend.make_actor("bob")
            await follows(inst, await remote_row(inst, alice), anna)
            await follows(inst, await remote_row(inst, bob), anna)
            await create_note(fed, anna, "<p>alleen voor vrienden</p>")
            assert await wait_for(lambda: _has_create(friend))
            assert await deliveries_to(inst.pool, peer) == []
            # nor any fetch from a domain not on the allowlist
            assert await fed.remote.actor(alice.ap_id, refresh=True) is not None  # the stored row, as when down
            assert await fed.remote.fetch_document(alice.ap_id) is None
            assert peer.requests == []


async def test_no_fetch_from_a_suspended_domain(instance: Instance) -> None:
    fed = federating(instance)
    admin = await admin_of(instance)
    async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
        alice, bob = peer.make_actor("alice"), friend.make_actor("bob")
        note_url = peer.serve("/notes/1", {"id": f"{peer.base}/notes/1", "type": "Note", "content": "x"})
        away = friend.serve("/weg", b"", status=302, headers={"Location": note_url})
        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend")
        await moderation.block_domain(fed, admin, "127.0.0.4", "limit")  # limit: fetches go on
        assert await fed.remote.actor(alice.ap_id) is None
        assert await fed.remote.actor_at(alice.ap_id) is None
        assert await fed.remote.fetch_document(note_url) is None
        assert await fed.remote.fetch_document(away) is None  # a redirect there is refused too
        handle = f"alice@{peer.base.removeprefix('http://')}"
        assert isinstance(await resolve_handle(fed.remote.http, handle, scheme="http"), Unresolved)
        assert peer.requests == []
        assert friend.requests == [("GET", "/weg")]
        assert await fed.remote.actor(bob.ap_id) is not None
        # lifted: the same process fetches again at once
        await moderation.block_domain(fed, admin, "127.0.0.3", "limit")
        assert await fed.remote.actor(alice.ap_id) is not None


async def test_suspension_ends_follows_and_memberships_without_sending(instance: Instance) -> None:
    fed = federating(instance)
    admin = await admin_of(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oost", founder=anna)
    async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
        alice = await remote_row(instance, peer.make_actor("alice"))
        carol = await remote_row(instance, peer.make_actor("carol"))
        bob = await remote_row(instance, friend.make_actor("bob"))
        await follows(instance, alice, anna)
        await follows(instance, anna, alice)
        await follows(instance, alice, group)
        await follows(instance, bob, anna)
        await membership_store.upsert_membership(instance.pool, group.id, alice.id, state="accepted", via="Join")
        await membership_store.upsert_membership(instance.pool, group.id, bob.id, state="accepted", via="Join")
        await membership_store.ban(instance.pool, group.id, carol.id)
        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend", "spam")
        assert await follow_store.follow_state(instance.pool, alice.id, anna.id) is None
        assert await follow_store.follow_state(instance.pool, anna.id, alice.id) is None
        assert await follow_store.follow_state(instance.pool, alice.id, group.id) is None
        assert await membership_store.membership(instance.pool, group.id, alice.id) is None
        banned = await membership_store.membership(instance.pool, group.id, carol.id)
        assert banned is not None and banned.state == "banned"  # a ban stays
        # the other domain keeps everything
        assert await follow_store.follow_state(instance.pool, bob.id, anna.id) == "accepted"
        assert await membership_store.membership(instance.pool, group.id, bob.id) is not None
        log = await instance_policy.moderation_log(instance.pool)
        assert log[0].action == "domain_suspend"
        assert "3 follows, 1 memberships" in log[0].reason
        await asyncio.sleep(0.5)
        assert await deliveries_to(instance.pool, peer) == []
        assert peer.requests == []
