"""A neighbourhood announces a moderator's removal of a post as it announced the post, on
one real instance with scripted remote servers: a public post's Delete to the group's
followers, a members-only post's to its members' servers only (never to a plain
follower's) — for our moderator's removal (moderation.remove_post), a remote moderator's
ban with `removeData` and a remote moderator's own Delete through the inbox."""

from __future__ import annotations

from typing import Any

from server.domain import membership, moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import PUBLIC, processed, send


async def _delete_announces(
    inst: Instance, group: ActorRow, object_ap_id: str
) -> list[tuple[dict[str, Any], list[str]]]:
    """The group's Announce{Delete{object_ap_id}}s with the inboxes they are queued for."""
    rows = await inst.pool.fetch(
        """SELECT o.document, array(SELECT d.inbox_url FROM deliveries d WHERE d.activity_id = o.id) AS inboxes
           FROM outgoing_activities o WHERE o.actor_id = $1 AND o.document ->> 'type' = 'Announce'
             AND o.document -> 'object' ->> 'type' = 'Delete' AND o.document -> 'object' ->> 'object' = $2""",
        group.id,
        object_ap_id,
    )
    return [(dict(r["document"]), list(r["inboxes"])) for r in rows]


async def _setup(
    instance: Instance, members: ScriptedPeer, plain: ScriptedPeer
) -> tuple[ActorRow, ActorRow, ActorRow, PeerActor]:
    """anna founds an open neighbourhood; bert (local) and mia (on `members`) are members;
    volger (on `plain`) follows it without being a member."""
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "oost", founder=anna, name="Oost")
    await membership.join(fed, bert, group)
    mia = members.make_actor("mia")
    await send(
        instance,
        members,
        mia,
        {"id": members.activity_id(), "type": "Follow", "actor": mia.ap_id, "object": group.ap_id},
    )
    assert await wait_for(lambda: processed(instance, 1))
    volger = await fed.remote.actor(plain.make_actor("volger").ap_id)
    assert volger is not None
    await follow_store.upsert_follow(instance.pool, plain.activity_id(), volger.id, group.id, "accepted")
    return anna, bert, group, mia


def _to(inboxes: list[str], peer: ScriptedPeer) -> bool:
    return any(i.startswith(peer.base) for i in inboxes)


async def test_a_members_only_removal_goes_to_members_servers_only_a_public_one_to_followers(
    instance: Instance,
) -> None:
    fed = federating(instance)
    async with scripted_peer(PEER_ADDRESSES[1]) as members, scripted_peer(PEER_ADDRESSES[2]) as plain:
        anna, bert, group, _mia = await _setup(instance, members, plain)
        public = await post_to_neighbourhood(fed, bert, group, "Fiets te koop")
        secret = await post_to_neighbourhood(fed, bert, group, "Sleutel bij nr. 12", visibility="members")

        assert await moderation.remove_post(fed, anna, group, public.ap_id, "handel")
        assert await moderation.remove_post(fed, anna, group, secret.ap_id, "privé")

        [(announce, inboxes)] = await _delete_announces(instance, group, public.ap_id)
        assert announce["to"] == [PUBLIC] and announce["cc"] == [group.followers_url]
        assert _to(inboxes, members) and _to(inboxes, plain)

        [(announce, inboxes)] = await _delete_announces(instance, group, secret.ap_id)
        assert announce["to"] == [group.ap_id + "/members"] and announce["cc"] == []
        assert announce["object"]["actor"] == anna.ap_id and "proof" in announce["object"]
        assert _to(inboxes, members) and not _to(inboxes, plain)  # the plain follower never hears of it


async def test_a_remote_moderators_removals_of_members_only_posts_reach_members_only(instance: Instance) -> None:
    """A remote moderator's ban with removeData (the group's own Delete) and their own
    Delete of a members-only post (announced as received): members' servers only."""
    fed = federating(instance)
    async with scripted_peer(PEER_ADDRESSES[1]) as members, scripted_peer(PEER_ADDRESSES[2]) as plain:
        anna, bert, group, mia = await _setup(instance, members, plain)
        mia_row = await actor_store.actor_by_ap_id(instance.pool, mia.ap_id)
        assert mia_row is not None
        assert await membership.set_role(fed, anna, group, mia_row, "moderator")
        first = await post_to_neighbourhood(fed, bert, group, "Alleen voor leden", visibility="members")
        # kees (a member on mia's server) posts members-only; mia removes it with her own Delete
        kees = members.make_actor("kees")
        await send(
            instance,
            members,
            kees,
            {"id": members.activity_id(), "type": "Follow", "actor": kees.ap_id, "object": group.ap_id},
        )
        uid = members.activity_id().rsplit("/", 1)[1]
        second = {
            "id": f"{members.base}/notes/{uid}",
            "type": "Note",
            "attributedTo": kees.ap_id,
            "content": "<p>Ook alleen voor leden</p>",
            "to": [group.ap_id + "/members"],
            "cc": [],
            "audience": group.ap_id,
            "published": "2026-11-01T12:00:00Z",
        }
        members.serve(f"/notes/{uid}", second)
        create = {"@context": AS, "id": members.activity_id(), "type": "Create", "actor": kees.ap_id}
        await send(instance, members, kees, {**create, "to": second["to"], "cc": [], "object": second})
        assert await wait_for(lambda: processed(instance, 3))
        kept = await neighbourhood_store.group_post(instance.pool, group.id, second["id"])
        assert kept is not None and kept.state == "announced"

        delete = {
            "@context": AS,
            "id": members.activity_id(),
            "type": "Delete",
            "actor": mia.ap_id,
            "object": second["id"],
            "to": [PUBLIC],
            "cc": [group.ap_id],
            "audience": group.ap_id,
        }
        await send(instance, members, mia, delete)
        assert await wait_for(lambda: processed(instance, 4))
        [(announce, inboxes)] = await _delete_announces(instance, group, second["id"])
        assert announce["object"]["id"] == delete["id"] and announce["to"] == [group.ap_id + "/members"]
        assert _to(inboxes, members) and not _to(inboxes, plain)

        # mia bans bert with removeData: the group's own Delete of his post, to members only
        ban = {
            "id": members.activity_id(),
            "type": "Block",
            "actor": mia.ap_id,
            "to": [PUBLIC],
            "object": bert.ap_id,
            "cc": [group.ap_id],
            "target": group.ap_id,
            "removeData": True,
            "summary": "spam",
        }
        await send(instance, members, mia, ban)
        assert await wait_for(lambda: processed(instance, 5))
        post = await neighbourhood_store.group_post(instance.pool, group.id, first.ap_id)
        assert post is not None and post.state == "removed"
        [(announce, inboxes)] = await _delete_announces(instance, group, first.ap_id)
        assert announce["object"]["actor"] == group.ap_id and announce["to"] == [group.ap_id + "/members"]
        assert _to(inboxes, members) and not _to(inboxes, plain)


async def test_an_authors_delete_of_a_queued_post_takes_it_out_of_the_queue_unannounced(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "stil", founder=anna, name="Stil", posting_mode="moderated")
    async with scripted_peer(PEER_ADDRESSES[1]) as peer:
        kees = peer.make_actor("kees")
        await send(
            instance,
            peer,
            kees,
            {"id": peer.activity_id(), "type": "Follow", "actor": kees.ap_id, "object": group.ap_id},
        )
        uid = peer.activity_id().rsplit("/", 1)[1]
        post = {
            "id": f"{peer.base}/notes/{uid}",
            "type": "Note",
            "attributedTo": kees.ap_id,
            "content": "<p>Toch niet</p>",
            "to": [PUBLIC],
            "cc": [group.ap_id],
            "audience": group.ap_id,
        }
        peer.serve(f"/notes/{uid}", post)
        create = {"@context": AS, "id": peer.activity_id(), "type": "Create", "actor": kees.ap_id, "object": post}
        await send(instance, peer, kees, {**create, "to": post["to"], "cc": post["cc"]})
        assert await wait_for(lambda: processed(instance, 2))
        queued = await neighbourhood_store.group_post(instance.pool, group.id, post["id"])
        assert queued is not None and queued.state == "queued"
        delete = {"@context": AS, "id": peer.activity_id(), "type": "Delete", "actor": kees.ap_id, "object": post["id"]}
        await send(instance, peer, kees, {**delete, "to": [PUBLIC], "cc": [group.ap_id]})
        assert await wait_for(lambda: processed(instance, 3))
    removed = await neighbourhood_store.group_post(instance.pool, group.id, post["id"])
    assert removed is not None and removed.state == "removed"  # a moderator can no longer approve it
    assert await moderation.decide_queued_post(fed, anna, group, post["id"], approve=True) == "not queued"
    assert await _delete_announces(instance, group, post["id"]) == []  # never announced, so no Delete either
