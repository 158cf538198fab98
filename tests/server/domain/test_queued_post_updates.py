"""A post (or event) changed while it waits for a moderator in one of our neighbourhoods:
when approved, the group announces the original Create unchanged and then the author's
latest Update (a resident's, as we signed it; a remote member's, as received), so the
followers get the current version. On one real instance with a scripted follower and a
scripted remote member."""

from __future__ import annotations

from typing import Any

from server.domain import membership, moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import edit_note
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.scripted_peer import scripted_peer
from tests.server.handlers.test_group_updates import _activity, _changed, _event, _join, _post
from tests.server.test_handlers import processed, send


async def _announced(inst: Instance, group: ActorRow, object_ap_id: str) -> list[dict[str, Any]]:
    """The group's Announces of activities on `object_ap_id`, in the order they were queued."""
    rows = await inst.pool.fetch(
        """SELECT o.document FROM outgoing_activities o WHERE o.actor_id = $1
             AND o.document ->> 'type' = 'Announce' AND o.document -> 'object' -> 'object' ->> 'id' = $2
             AND EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = o.id)
           ORDER BY o.id""",
        group.id,
        object_ap_id,
    )
    return [dict(r["document"]) for r in rows]


async def _outgoing_update(inst: Instance, object_ap_id: str) -> dict[str, Any]:
    value = await inst.pool.fetchval(
        """SELECT document FROM outgoing_activities WHERE document ->> 'type' = 'Update'
             AND document -> 'object' ->> 'id' = $1 ORDER BY id DESC LIMIT 1""",
        object_ap_id,
    )
    assert value is not None
    return dict(value)


async def test_a_residents_post_edited_while_queued_is_announced_in_its_new_version(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "stil", founder=anna, name="Stil", posting_mode="moderated")
    await membership.join(fed, bert, group)
    async with scripted_peer() as peer:
        volger = peer.make_actor("volger")
        await _join(instance, peer, group, volger)
        assert await wait_for(lambda: processed(instance, 1))
        post = await post_to_neighbourhood(fed, bert, group, "Eerste versie")
        await edit_note(fed, bert, post.ap_id, "<p>Tweede versie</p>")
        await edit_note(fed, bert, post.ap_id, "<p>Derde versie</p>")
        assert await _announced(instance, group, post.ap_id) == []  # still waiting

        assert await moderation.decide_queued_post(fed, anna, group, post.ap_id, approve=True) == "announced"
        create, update = await _announced(instance, group, post.ap_id)
        assert create["object"]["type"] == "Create" and "proof" in create["object"]  # the original, unchanged
        assert "Eerste versie" in create["object"]["object"]["content"]
        latest = await _outgoing_update(instance, post.ap_id)
        assert update["object"] == latest and "proof" in latest  # bert's latest signed Update
        assert "Derde versie" in latest["object"]["content"]
        assert update["to"] == create["to"] and update["cc"] == create["cc"]

        async def got(activity_id: str) -> bool:
            return any((a.get("object") or {}).get("id") == activity_id for a in peer.received)

        assert await wait_for(lambda: got(latest["id"]))  # the follower gets the new version, after the Create
        order = [(a.get("object") or {}).get("id") for a in peer.received if a.get("type") == "Announce"]
        assert order.index(create["object"]["id"]) < order.index(latest["id"])


async def test_a_remote_members_post_and_event_updated_while_queued_are_announced_as_received(
    instance: Instance,
) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "stil", founder=anna, name="Stil", posting_mode="moderated")
    async with scripted_peer(PEER_ADDRESSES[1]) as peer:
        bob = peer.make_actor("bob")
        await _join(instance, peer, group, bob)
        note, event = _post(peer, bob, group, "Wacht"), _event(peer, bob, group, "Straatfeest")
        untouched = _post(peer, bob, group, "Blijft zo")
        creates = [_activity(peer, "Create", bob, obj) for obj in (note, event, untouched)]
        for create in creates:
            await send(instance, peer, bob, create)
        assert await wait_for(lambda: processed(instance, 4))
        updates = [
            _activity(peer, "Update", bob, _changed(note, "Wacht nog")),
            _activity(peer, "Update", bob, _changed(note, "Eindelijk")),
            _activity(peer, "Update", bob, _changed(event, "Gaat niet door", eventStatus="CANCELLED")),
        ]
        for update in updates:
            await send(instance, peer, bob, update)
        assert await wait_for(lambda: processed(instance, 7))
        kept = await neighbourhood_store.group_post(instance.pool, group.id, note["id"])
        assert kept is not None and kept.state == "queued" and kept.queued_update == updates[1]

        for obj, create, update in ((note, creates[0], updates[1]), (event, creates[1], updates[2])):
            assert await moderation.decide_queued_post(fed, anna, group, obj["id"], approve=True) == "announced"
            first, second = await _announced(instance, group, obj["id"])
            assert first["object"] == create and second["object"] == update  # both as received
        assert await moderation.decide_queued_post(fed, anna, group, untouched["id"], approve=True) == "announced"
        [only] = await _announced(instance, group, untouched["id"])  # not changed: the Create alone
        assert only["object"] == creates[2]
