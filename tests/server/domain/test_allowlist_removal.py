"""Removing a domain from the allowlist in allowlist-only mode ends what we have with the
hosts no entry allows any more, as a suspension does: queued deliveries end (failed,
"domain not on the allowlist"), follows both ways, memberships and area follows end, and
nothing is sent. A host still allowed through another entry (a parent domain, or its own
entry under the removed one) keeps everything. With allowlist-only mode off, a removal
ends nothing.

Hosts with names (social.example and its subdomains) are stored actors and paused hosts
only: nothing is ever sent to them, so no name is looked up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from federation.actors import read_actor
from federation.hoststate import host_of
from server.domain import moderation
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import create_note
from server.remote import actor_fields
from server.storage import actors as actor_store
from server.storage import area_follows as area_follow_store
from server.storage import deliveries as delivery_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance
from tests.scripted_peer import ScriptedPeer, scripted_peer
from tests.server.domain.test_outgoing_domain_policy import admin_of, deliveries_to, follows, remote_row


@pytest.fixture
async def allowlist_instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, federation_allowlist_only=True
    ) as inst:
        yield inst


async def pause(pool: Pool, host: str) -> None:
    """Deliveries to `host` stay queued (the worker does not claim them)."""
    row = delivery_store.HostRow(host, 3, datetime.now(UTC) + timedelta(hours=1), (), None, None, None)
    await delivery_store.save_host(pool, row)


async def named_actor(inst: Instance, peer: ScriptedPeer, host: str, name: str, kind: str = "Person") -> ActorRow:
    """A stored remote actor on `host` (a name nothing resolves; never contacted)."""
    parsed = read_actor(peer.make_actor(name, kind=kind).document)
    assert not isinstance(parsed, str)
    ap_id = f"https://{host}/users/{name}"
    fields = {
        **actor_fields(parsed),
        "ap_id": ap_id,
        "domain": host,
        "url": ap_id,
        "inbox_url": f"{ap_id}/inbox",
        "outbox_url": f"{ap_id}/outbox",
        "shared_inbox_url": None,
        "followers_url": f"{ap_id}/followers",
        "following_url": f"{ap_id}/following",
        "featured_url": None,
    }
    return await actor_store.upsert_remote_actor(inst.pool, fields)


async def queued_to(pool: Pool, host: str) -> list[tuple[str, str | None]]:
    rows = await pool.fetch("SELECT state, last_error FROM deliveries WHERE host = $1 ORDER BY id", host)
    return [(r["state"], r["last_error"]) for r in rows]


async def test_removal_ends_queued_deliveries_follows_and_memberships(allowlist_instance: Instance) -> None:
    inst = allowlist_instance
    fed = federating(inst)
    admin = await admin_of(inst)
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oost", founder=anna)
    async with scripted_peer() as peer, scripted_peer("127.0.0.4") as friend:
        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", True)
        await moderation.set_domain_allowed(fed, admin, "127.0.0.4", True)
        await pause(inst.pool, host_of(peer.base))
        await pause(inst.pool, host_of(friend.base))
        alice = await remote_row(inst, peer.make_actor("alice"))
        carol = await remote_row(inst, peer.make_actor("carol"))
        shop = await remote_row(inst, peer.make_actor("winkel", kind="Organization"))
        bob = await remote_row(inst, friend.make_actor("bob"))
        await follows(inst, alice, anna)
        await follows(inst, anna, alice)
        await follows(inst, alice, group)
        await follows(inst, bob, anna)
        await membership_store.upsert_membership(inst.pool, group.id, alice.id, state="accepted", via="Join")
        await membership_store.upsert_membership(inst.pool, group.id, bob.id, state="accepted", via="Join")
        await membership_store.ban(inst.pool, group.id, carol.id)
        await area_follow_store.save_area_follow(inst.pool, shop.id, area_name="Oost", bbox=None, near=None, pre=None)
        await create_note(fed, anna, "<p>nog in de wachtrij</p>")
        assert await deliveries_to(inst.pool, peer) == [("queued", None)]

        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", False, "niet meer")

        assert await deliveries_to(inst.pool, peer) == [("failed", "domain not on the allowlist")]
        assert await follow_store.follow_state(inst.pool, alice.id, anna.id) is None
        assert await follow_store.follow_state(inst.pool, anna.id, alice.id) is None
        assert await follow_store.follow_state(inst.pool, alice.id, group.id) is None
        assert await membership_store.membership(inst.pool, group.id, alice.id) is None
        banned = await membership_store.membership(inst.pool, group.id, carol.id)
        assert banned is not None and banned.state == "banned"  # a ban stays
        assert await inst.pool.fetchval("SELECT count(*) FROM area_follows WHERE organisation_id = $1", shop.id) == 0
        # the domain still on the allowlist keeps everything
        assert await deliveries_to(inst.pool, friend) == [("queued", None)]
        assert await follow_store.follow_state(inst.pool, bob.id, anna.id) == "accepted"
        assert await membership_store.membership(inst.pool, group.id, bob.id) is not None
        log = await instance_policy.moderation_log(inst.pool)
        assert log[0].action == "domain_disallow" and log[0].target == "127.0.0.3"
        assert log[0].reason == ("niet meer (ended: 1 queued deliveries, 3 follows, 1 memberships, 1 area follows)")
        await asyncio.sleep(0.5)
        assert peer.requests == []


async def test_a_host_still_allowed_through_another_entry_keeps_its_relations(
    allowlist_instance: Instance,
) -> None:
    inst = allowlist_instance
    fed = federating(inst)
    admin = await admin_of(inst)
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    hosts = ["social.example", "a.social.example", "keep.social.example", "deep.keep.social.example"]
    async with scripted_peer() as peer:
        for entry in ["example", "social.example", "keep.social.example"]:
            await moderation.set_domain_allowed(fed, admin, entry, True)
        actors = {host: await named_actor(inst, peer, host, f"u{i}") for i, host in enumerate(hosts)}
        for host, actor in actors.items():
            await pause(inst.pool, host)
            await follows(inst, actor, anna)
            await follows(inst, anna, actor)
        await create_note(fed, anna, "<p>voor iedereen</p>")
        assert all([await queued_to(inst.pool, host) == [("queued", None)] for host in hosts])

        # the parent "example" still allows everything under social.example
        await moderation.set_domain_allowed(fed, admin, "social.example", False)
        for host, actor in actors.items():
            assert await queued_to(inst.pool, host) == [("queued", None)]
            assert await follow_store.follow_state(inst.pool, actor.id, anna.id) == "accepted"
        log = await instance_policy.moderation_log(inst.pool)
        assert log[0].reason == "(ended: 0 queued deliveries, 0 follows, 0 memberships, 0 area follows)"

        # without "example", only keep.social.example (and its subdomain) stays allowed
        await moderation.set_domain_allowed(fed, admin, "example", False)
        for host in ["social.example", "a.social.example"]:
            assert await queued_to(inst.pool, host) == [("failed", "domain not on the allowlist")]
            assert await follow_store.follow_state(inst.pool, actors[host].id, anna.id) is None
            assert await follow_store.follow_state(inst.pool, anna.id, actors[host].id) is None
        for host in ["keep.social.example", "deep.keep.social.example"]:
            assert await queued_to(inst.pool, host) == [("queued", None)]
            assert await follow_store.follow_state(inst.pool, actors[host].id, anna.id) == "accepted"
            assert await follow_store.follow_state(inst.pool, anna.id, actors[host].id) == "accepted"
        log = await instance_policy.moderation_log(inst.pool)
        assert log[0].reason == "(ended: 2 queued deliveries, 4 follows, 0 memberships, 0 area follows)"


async def test_without_allowlist_only_a_removal_ends_nothing(instance: Instance) -> None:
    fed = federating(instance)
    admin = await admin_of(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oost", founder=anna)
    async with scripted_peer() as peer:
        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", True)
        await pause(instance.pool, host_of(peer.base))
        alice = await remote_row(instance, peer.make_actor("alice"))
        await follows(instance, alice, anna)
        await follows(instance, anna, alice)
        await membership_store.upsert_membership(instance.pool, group.id, alice.id, state="accepted", via="Join")
        await create_note(fed, anna, "<p>gewoon</p>")

        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", False)

        assert await deliveries_to(instance.pool, peer) == [("queued", None)]
        assert await follow_store.follow_state(instance.pool, alice.id, anna.id) == "accepted"
        assert await follow_store.follow_state(instance.pool, anna.id, alice.id) == "accepted"
        assert await membership_store.membership(instance.pool, group.id, alice.id) is not None
        log = await instance_policy.moderation_log(instance.pool)
        assert log[0].action == "domain_disallow" and log[0].reason == ""
