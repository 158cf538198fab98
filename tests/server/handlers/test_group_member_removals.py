"""A remote moderator of one of our neighbourhoods removes a member by sending Remove to
the group (through the real inbox and worker, from a scripted peer): applied when the
sender holds the moderator role here, ignored from a plain member."""

from __future__ import annotations

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import processed, send


async def _follow(instance: Instance, peer: ScriptedPeer, who: PeerActor, group_ap_id: str) -> None:
    follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group_ap_id}
    await send(instance, peer, who, follow)


async def _state(instance: Instance, group_id: int, ap_id: str) -> str | None:
    found = await actor_store.actor_by_ap_id(instance.pool, ap_id)
    row = await membership_store.membership(instance.pool, group_id, found.id) if found else None
    return row.state if row else None


async def test_a_remote_moderators_remove_of_a_member_is_applied_and_a_members_is_not(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        mod, troll, mallory = peer.make_actor("mod"), peer.make_actor("troll"), peer.make_actor("mallory")
        for who in (mod, troll, mallory):
            await _follow(instance, peer, who, group.ap_id)
        await wait_for(lambda: processed(instance, 3))
        for who in (mod, troll, mallory):
            assert await _state(instance, group.id, who.ap_id) == "accepted"
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")

        # a plain member's Remove of another member: ignored
        removal = {
            "id": peer.activity_id(),
            "type": "Remove",
            "actor": mallory.ap_id,
            "object": troll.ap_id,
            "target": group.ap_id + "/members",
        }
        await send(instance, peer, mallory, removal)
        await wait_for(lambda: processed(instance, 4))
        assert await _state(instance, group.id, troll.ap_id) == "accepted"

        # the moderator's: the member is removed, logged, and told by the group
        removal = {**removal, "id": peer.activity_id(), "actor": mod.ap_id, "summary": "Spam"}
        await send(instance, peer, mod, removal)
        await wait_for(lambda: processed(instance, 5))
        assert await _state(instance, group.id, troll.ap_id) is None
        logged = await instance.pool.fetchrow(
            """SELECT l.action, l.reason, a.ap_id FROM moderation_log l JOIN actors a ON a.id = l.actor_id
               WHERE l.target = $1""",
            troll.ap_id,
        )
        assert logged is not None and (logged["action"], logged["reason"], logged["ap_id"]) == (
            "remove_member",
            "Spam",
            mod.ap_id,
        )

        async def told() -> bool:
            return any(
                a.get("type") == "Remove" and a.get("object") == troll.ap_id and a.get("actor") == group.ap_id
                for a in peer.received
            )

        assert await wait_for(told)
