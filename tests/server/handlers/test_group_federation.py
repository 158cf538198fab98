"""Group federation beyond posts, through the real inbox and worker with scripted Lemmy- and
Mobilizon-style peers: Announce{Like} and Announce{Undo{Like}} handled as their actor's,
Lock/Undo{Lock} from a moderator (and not from anyone else), unknown inner types ignored,
a remote group's Remove of one of our residents, our resident's Accept{Invite}, and the
area in our Group actor document."""

from __future__ import annotations

from typing import Any

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.membership import NotAllowed
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import group_federation as group_store
from server.storage import memberships as membership_store
from server.storage import objects as object_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.handlers.test_groups import announce, create_of, lemmy_community, page
from tests.server.test_handlers import processed, send


def _activity(peer: ScriptedPeer, kind: str, actor: PeerActor, obj: Any, **extra: Any) -> dict[str, Any]:
    return {"id": peer.activity_id(), "type": kind, "actor": actor.ap_id, "object": obj, **extra}


async def _received(peer: ScriptedPeer, kind: str) -> dict[str, Any] | None:
    return next((a for a in peer.received if a.get("type") == kind), None)


async def test_announced_like_and_undo_are_handled_as_their_actors_own(instance: Instance) -> None:
    async with scripted_peer() as peer:
        beta, voter = peer.make_actor("lemmy_beta"), peer.make_actor("voter")
        community = lemmy_community(peer, "main", [])
        post = page(peer, beta, community, "stemmen")
        await send(instance, peer, community, announce(peer, community, create_of(peer, beta, post)))
        like = _activity(peer, "Like", voter, post["id"], audience=community.ap_id)
        await send(instance, peer, community, announce(peer, community, like))
        await wait_for(lambda: processed(instance, 2))
        assert await object_store.reactions_of(instance.pool, post["id"]) == [("Like", voter.ap_id)]

        undo = _activity(peer, "Undo", voter, like, audience=community.ap_id)
        await send(instance, peer, community, announce(peer, community, undo))
        # an inner type we do not handle is ignored cleanly
        await send(instance, peer, community, announce(peer, community, _activity(peer, "Listen", voter, post["id"])))
        await wait_for(lambda: processed(instance, 4))
        assert await object_store.reactions_of(instance.pool, post["id"]) == []


async def test_lock_counts_only_from_a_moderator_and_undo_lifts_it(instance: Instance) -> None:
    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        beta, mallory, mod = peer.make_actor("lemmy_beta"), peer.make_actor("mallory"), peer.make_actor("mod")
        community = lemmy_community(peer, "main", [mod.ap_id])
        post = page(peer, beta, community, "op slot")
        await send(instance, peer, community, announce(peer, community, create_of(peer, beta, post)))
        await send(instance, peer, community, announce(peer, community, _activity(peer, "Lock", mallory, post["id"])))
        await wait_for(lambda: processed(instance, 2))
        assert not await group_store.is_locked(instance.pool, post["id"])

        lock = _activity(peer, "Lock", mod, post["id"], audience=community.ap_id)
        await send(instance, peer, community, announce(peer, community, lock))
        await wait_for(lambda: processed(instance, 3))
        assert await group_store.is_locked(instance.pool, post["id"])
        group = await fed.remote.actor(community.ap_id)
        assert group is not None
        try:
            await post_to_neighbourhood(fed, bert, group, "toch nog", in_reply_to=post["id"])
            raise AssertionError("a reply to a locked post was published")
        except NotAllowed:
            pass

        await send(instance, peer, community, announce(peer, community, _activity(peer, "Undo", mod, lock)))
        await wait_for(lambda: processed(instance, 4))
        assert not await group_store.is_locked(instance.pool, post["id"])


async def test_a_remote_groups_remove_ends_our_residents_membership(instance: Instance) -> None:
    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        community = lemmy_community(peer, "main", [])
        group = await fed.remote.actor(community.ap_id)
        assert group is not None
        await membership_store.upsert_membership(instance.pool, group.id, bert.id, state="accepted", via="Join")
        # Lemmy's Remove from the moderators collection is not a removal of a member
        moderators = f"{community.ap_id}/moderators"
        await send(instance, peer, community, _activity(peer, "Remove", community, bert.ap_id, target=moderators))
        await wait_for(lambda: processed(instance, 1))
        assert await membership_store.membership(instance.pool, group.id, bert.id) is not None
        # Mobilizon's shape: origin is the group
        await send(instance, peer, community, _activity(peer, "Remove", community, bert.ap_id, origin=community.ap_id))
        await wait_for(lambda: processed(instance, 2))
        assert await membership_store.membership(instance.pool, group.id, bert.id) is None


async def test_our_resident_answers_a_mobilizon_invite_with_accept_invite(instance: Instance) -> None:
    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        admin = peer.make_actor("admin")
        community = lemmy_community(peer, "vereniging", [admin.ap_id])
        member_url = f"{peer.base}/member/{peer.activity_id().rsplit('/', 1)[1]}"
        invite = {  # Mobilizon: the Invite's id is the membership's URL; the actor the inviter
            "@context": AS,
            "id": member_url,
            "type": "Invite",
            "actor": admin.ap_id,
            "object": community.ap_id,
            "target": bert.ap_id,
            "to": [bert.ap_id],
            "cc": [community.ap_id],
        }
        await send(instance, peer, admin, invite)
        await wait_for(lambda: processed(instance, 1))
        group = await fed.remote.actor(community.ap_id)
        assert group is not None
        row = await membership_store.membership(instance.pool, group.id, bert.id)
        assert row is not None and row.state == "invited"

        assert await membership.join(fed, bert, group) == "accepted"
        accept = await wait_for(lambda: _received(peer, "Accept"))
        assert accept["actor"] == bert.ap_id and accept["object"]["id"] == member_url
        assert accept["object"]["type"] == "Invite" and community.ap_id in accept["to"]
        assert await _received(peer, "Join") is None and await _received(peer, "Follow") is None
        row = await membership_store.membership(instance.pool, group.id, bert.id)
        assert row is not None and row.state == "accepted"


async def test_group_actor_document_carries_its_area(instance: Instance) -> None:
    boundary = {"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.92, 52.3], [4.92, 52.31], [4.9, 52.3]]]}
    group = await create_neighbourhood(
        federating(instance), "oosterpark", area_name="Oosterpark, Amsterdam", boundary=boundary
    )
    plain = await create_neighbourhood(federating(instance), "zonder")
    headers = {"Accept": "application/activity+json"}
    async with instance.session.get(group.ap_id, headers=headers) as resp:
        document = await resp.json(content_type=None)
    assert document["location"] == {"type": "Place", "name": "Oosterpark, Amsterdam", "boundary": boundary}
    context_terms = document["@context"][-1]
    assert context_terms["boundary"] == {"@id": "buurtplein:boundary", "@type": "@json"}
    async with instance.session.get(plain.ap_id, headers=headers) as resp:
        assert "location" not in await resp.json(content_type=None)
