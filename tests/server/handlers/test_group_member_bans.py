"""A remote moderator of one of our neighbourhoods bans a member and lifts the ban in
Lemmy's shape (Block / Undo{Block} with the group as `target`, the payloads of
../shared/interop/payloads/lemmy/activities/block/), through the real inbox and worker from
a scripted peer: applied when the sender holds the moderator role here, ignored from a plain
member, and never taken for a block between two accounts."""

from __future__ import annotations

from typing import Any

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import processed, send

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _state(instance: Instance, group_id: int, ap_id: str) -> str | None:
    found = await actor_store.actor_by_ap_id(instance.pool, ap_id)
    row = await membership_store.membership(instance.pool, group_id, found.id) if found else None
    return row.state if row else None


async def _account_blocks(instance: Instance) -> int:
    return int(await instance.pool.fetchval("SELECT count(*) FROM actor_blocks"))


def _ban(peer: ScriptedPeer, by: PeerActor, member: str, target: str) -> dict[str, Any]:
    return {
        "id": peer.activity_id(),
        "type": "Block",
        "actor": by.ap_id,
        "to": [PUBLIC],
        "object": member,
        "cc": [target],
        "target": target,
        "removeData": False,
        "summary": "spam post",
    }


async def _told(peer: ScriptedPeer, kind: str, group_ap_id: str, member: str) -> bool:
    for sent in peer.received:
        if sent.get("type") != kind or sent.get("actor") != group_ap_id:
            continue
        inner = sent.get("object")
        if (inner if kind == "Block" else inner.get("object") if isinstance(inner, dict) else None) == member:
            return True
    return False


async def test_a_remote_moderators_ban_is_applied_lifted_and_a_members_is_ignored(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        mod, troll, mallory = peer.make_actor("mod"), peer.make_actor("troll"), peer.make_actor("mallory")
        for who in (mod, troll, mallory):
            follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
            await send(instance, peer, who, follow)
        await wait_for(lambda: processed(instance, 3))
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")

        # a plain member's ban of another member: ignored, and no block between accounts
        await send(instance, peer, mallory, _ban(peer, mallory, troll.ap_id, group.ap_id))
        await wait_for(lambda: processed(instance, 4))
        assert await _state(instance, group.id, troll.ap_id) == "accepted"
        assert await _account_blocks(instance) == 0

        # the moderator's: banned, logged with the reason, the member's server told by the group
        ban = _ban(peer, mod, troll.ap_id, group.ap_id)
        await send(instance, peer, mod, ban)
        await wait_for(lambda: processed(instance, 5))
        assert await _state(instance, group.id, troll.ap_id) == "banned"
        assert await _account_blocks(instance) == 0
        logged = await instance.pool.fetchrow(
            """SELECT l.action, l.reason, a.ap_id FROM moderation_log l JOIN actors a ON a.id = l.actor_id
               WHERE l.target = $1""",
            troll.ap_id,
        )
        assert logged is not None and tuple(logged) == ("ban_member", "spam post", mod.ap_id)
        assert await wait_for(lambda: _told(peer, "Block", group.ap_id, troll.ap_id))

        # a banned member's new request is refused
        again = {"id": peer.activity_id(), "type": "Follow", "actor": troll.ap_id, "object": group.ap_id}
        await send(instance, peer, troll, again)
        await wait_for(lambda: processed(instance, 6))
        assert await _state(instance, group.id, troll.ap_id) == "banned"

        # a plain member's Undo of the ban: ignored; the moderator's lifts it
        undo = {
            "id": peer.activity_id(),
            "type": "Undo",
            "actor": mallory.ap_id,
            "object": {**ban, "actor": mallory.ap_id},
        }
        await send(instance, peer, mallory, undo)
        await wait_for(lambda: processed(instance, 7))
        assert await _state(instance, group.id, troll.ap_id) == "banned"
        undo = {"id": peer.activity_id(), "type": "Undo", "actor": mod.ap_id, "object": ban, "to": [PUBLIC]}
        await send(instance, peer, mod, undo)
        await wait_for(lambda: processed(instance, 8))
        assert await _state(instance, group.id, troll.ap_id) is None
        assert await wait_for(lambda: _told(peer, "Undo", group.ap_id, troll.ap_id))

        # an actor we never saw is fetched and banned before they ask to join
        stranger = peer.make_actor("stranger")
        assert await actor_store.actor_by_ap_id(instance.pool, stranger.ap_id) is None
        await send(instance, peer, mod, _ban(peer, mod, stranger.ap_id, group.ap_id))
        await wait_for(lambda: processed(instance, 9))
        assert await _state(instance, group.id, stranger.ap_id) == "banned"


async def test_a_ban_in_a_community_elsewhere_is_not_a_block_between_accounts(instance: Instance) -> None:
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    async with scripted_peer() as peer:
        mod = peer.make_actor("mod")
        follow = {"id": peer.activity_id(), "type": "Follow", "actor": mod.ap_id, "object": bob.ap_id}
        await send(instance, peer, mod, follow)
        await wait_for(lambda: processed(instance, 1))
        await send(instance, peer, mod, _ban(peer, mod, bob.ap_id, f"{peer.base}/c/main"))
        await wait_for(lambda: processed(instance, 2))
        assert await _account_blocks(instance) == 0
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        follows = await instance.pool.fetchval(
            "SELECT count(*) FROM follows WHERE follower_id = $1 AND followed_id = $2", mod_row.id, bob.id
        )
        assert follows == 1  # a block between accounts would have ended it

        # without a target it still is one
        block = {"id": peer.activity_id(), "type": "Block", "actor": mod.ap_id, "object": bob.ap_id}
        await send(instance, peer, mod, block)
        await wait_for(lambda: processed(instance, 3))
        assert await _account_blocks(instance) == 1
