"""A remote moderator of one of our neighbourhoods locks a thread and opens it again in
Lemmy's shape (`Lock{object: post, to: Public, cc/audience: the group}` and `Undo{Lock}`),
through the real inbox and worker from a scripted peer: applied as a local moderator's lock
(locked_posts, the moderation log, the group's Announce of the Lock as received), refused
with a reason from a plain member, for a post outside the group, an unknown post, or a
Lock that names none of our neighbourhoods."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain import membership, posts
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.membership import NotAllowed
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import group_federation as group_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import processed, send

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _lock(peer: ScriptedPeer, by: PeerActor, post: str, group: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": peer.activity_id(),
        "type": "Lock",
        "actor": by.ap_id,
        "to": [PUBLIC],
        "object": post,
        "cc": [group],
        "audience": group,
        **extra,
    }


async def _outcome(instance: Instance, activity_id: str) -> tuple[str, str | None]:
    row = await instance.pool.fetchrow("SELECT state, last_error FROM inbox_items WHERE activity_id = $1", activity_id)
    assert row is not None
    return str(row["state"]), row["last_error"]


async def _announced(peer: ScriptedPeer, group_ap_id: str, inner_id: str) -> bool:
    return any(
        a.get("type") == "Announce"
        and a.get("actor") == group_ap_id
        and isinstance(a.get("object"), dict)
        and a["object"].get("id") == inner_id
        for a in peer.received
    )


async def test_a_remote_moderators_lock_is_applied_and_announced_and_undo_lifts_it(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    post = await post_to_neighbourhood(fed, anna, group, "Wie helpt zaterdag?")
    elsewhere = await posts.create_note(fed, anna, "Niet in de buurt")
    async with scripted_peer() as peer:
        mod, mallory = peer.make_actor("mod"), peer.make_actor("mallory")
        for who in (mod, mallory):
            follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
            await send(instance, peer, who, follow)
        await wait_for(lambda: processed(instance, 2))
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")

        refused = {
            "not a moderator": _lock(peer, mallory, post.ap_id, group.ap_id),
            "not in": _lock(peer, mod, elsewhere.ap_id, group.ap_id),
            "do not know": _lock(peer, mod, f"{instance.settings.base_url}/objects/nope", group.ap_id),
            "names none": _lock(peer, mod, post.ap_id, f"{peer.base}/c/main"),
        }
        for activity in refused.values():
            await send(instance, peer, mallory if activity["actor"] == mallory.ap_id else mod, activity)
        await wait_for(lambda: processed(instance, 2 + len(refused)))
        for reason, activity in refused.items():
            state, detail = await _outcome(instance, activity["id"])
            assert state == "ignored" and detail is not None and reason in detail, (reason, detail)
        assert not await group_store.is_locked(instance.pool, post.ap_id)
        assert not await group_store.is_locked(instance.pool, elsewhere.ap_id)

        # the moderator's Lock (Lemmy's shape): locked, logged, announced as received
        lock = _lock(peer, mod, post.ap_id, group.ap_id, summary="Afgerond")
        await send(instance, peer, mod, lock)
        await wait_for(lambda: processed(instance, 7))
        assert (await _outcome(instance, lock["id"]))[0] == "done"
        assert await group_store.is_locked(instance.pool, post.ap_id)
        logged = await instance.pool.fetchrow(
            """SELECT l.action, l.reason, a.ap_id FROM moderation_log l JOIN actors a ON a.id = l.actor_id
               WHERE l.target = $1 AND l.action = 'lock_post'""",
            post.ap_id,
        )
        assert logged is not None and tuple(logged) == ("lock_post", "Afgerond", mod.ap_id)
        assert await wait_for(lambda: _announced(peer, group.ap_id, lock["id"]))
        with pytest.raises(NotAllowed):
            await post_to_neighbourhood(fed, anna, group, "Toch nog", in_reply_to=post.ap_id)

        # a plain member's Undo changes nothing; the moderator's opens the thread again
        sneaky = {"id": peer.activity_id(), "type": "Undo", "actor": mallory.ap_id, "object": lock}
        await send(instance, peer, mallory, sneaky)
        await wait_for(lambda: processed(instance, 8))
        assert "not a moderator" in str((await _outcome(instance, sneaky["id"]))[1])
        assert await group_store.is_locked(instance.pool, post.ap_id)
        undo = {"id": peer.activity_id(), "type": "Undo", "actor": mod.ap_id, "object": lock, "to": [PUBLIC]}
        await send(instance, peer, mod, undo)
        await wait_for(lambda: processed(instance, 9))
        assert not await group_store.is_locked(instance.pool, post.ap_id)
        assert await wait_for(lambda: _announced(peer, group.ap_id, undo["id"]))
        await post_to_neighbourhood(fed, anna, group, "Ik help!", in_reply_to=post.ap_id)

        # an Undo that names the Lock by its id only
        again = _lock(peer, mod, post.ap_id, group.ap_id)
        await send(instance, peer, mod, again)
        await wait_for(lambda: processed(instance, 10))
        assert await group_store.is_locked(instance.pool, post.ap_id)
        by_id = {"id": peer.activity_id(), "type": "Undo", "actor": mod.ap_id, "object": again["id"]}
        await send(instance, peer, mod, by_id)
        await wait_for(lambda: processed(instance, 11))
        assert not await group_store.is_locked(instance.pool, post.ap_id)
