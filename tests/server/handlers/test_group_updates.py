"""A remote member's Update of a post or event one of our neighbourhoods announced, through
the real inbox and worker from a scripted peer: the group announces the Update exactly as
received; not for a post that is queued or was rejected, not for an Update by someone who
does not own the object, and not for a member the group has banned since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain import moderation
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import PUBLIC, processed, send


def _post(peer: ScriptedPeer, author: PeerActor, group: ActorRow, content: str, **extra: Any) -> dict[str, Any]:
    uid = peer.activity_id().rsplit("/", 1)[1]
    doc = {
        "id": f"{peer.base}/notes/{uid}",
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": f"<p>{content}</p>",
        "to": [PUBLIC],
        "cc": [author.ap_id + "/followers", group.ap_id],
        "audience": group.ap_id,
        "published": "2026-11-01T12:00:00Z",
        **extra,
    }
    peer.serve(f"/notes/{uid}", doc)
    return doc


def _event(peer: ScriptedPeer, author: PeerActor, group: ActorRow, name: str, **extra: Any) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    return _post(
        peer,
        author,
        group,
        name,
        type="Event",
        name=name,
        startTime=start.isoformat().replace("+00:00", "Z"),
        endTime=(start + timedelta(hours=2)).isoformat().replace("+00:00", "Z"),
        **extra,
    )


def _activity(peer: ScriptedPeer, kind: str, actor: PeerActor, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": peer.activity_id(),
        "type": kind,
        "actor": actor.ap_id,
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }


def _changed(obj: dict[str, Any], content: str, **extra: Any) -> dict[str, Any]:
    return {**obj, "content": f"<p>{content}</p>", "updated": datetime.now(UTC).isoformat(), **extra}


async def _announce_of(inst: Instance, group: ActorRow, activity_id: str) -> dict[str, Any] | None:
    """The group's Announce (in its outbox, queued for delivery) whose object is `activity_id`."""
    value = await inst.pool.fetchval(
        """SELECT o.document FROM outgoing_activities o WHERE o.actor_id = $1
           AND o.document ->> 'type' = 'Announce' AND o.document -> 'object' ->> 'id' = $2
           AND EXISTS (SELECT 1 FROM deliveries d WHERE d.activity_id = o.id)""",
        group.id,
        activity_id,
    )
    return dict(value) if value is not None else None


async def _received(peer: ScriptedPeer, group: ActorRow, activity_id: str) -> bool:
    return any(
        a.get("type") == "Announce"
        and a.get("actor") == group.ap_id
        and (a.get("object") or {}).get("id") == activity_id
        for a in peer.received
    )


async def _join(instance: Instance, peer: ScriptedPeer, group: ActorRow, *members: PeerActor) -> None:
    for who in members:
        await send(
            instance, peer, who, {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
        )


async def test_a_remote_members_update_of_an_announced_post_and_event_is_announced(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        bob, mallory = peer.make_actor("bob"), peer.make_actor("mallory")
        await _join(instance, peer, group, bob, mallory)
        note, event = _post(peer, bob, group, "Kat kwijt"), _event(peer, bob, group, "Straatfeest")
        creates = [_activity(peer, "Create", bob, note), _activity(peer, "Create", bob, event)]
        for create in creates:
            await send(instance, peer, bob, create)
        assert await wait_for(lambda: processed(instance, 4))
        for create in creates:
            assert await _announce_of(instance, group, create["id"]) is not None

        # bob edits his post and cancels his event: the group announces both Updates as sent
        note_update = _activity(peer, "Update", bob, _changed(note, "Kat gevonden!"))
        event_update = _activity(peer, "Update", bob, _changed(event, "Gaat niet door", eventStatus="CANCELLED"))
        # mallory's Updates of bob's objects (as hers, or as bob's) change nothing
        forged = [
            _activity(peer, "Update", mallory, _changed(note, "Gestolen", attributedTo=mallory.ap_id)),
            _activity(peer, "Update", mallory, _changed(event, "Gestolen")),
        ]
        for activity in (note_update, event_update, *forged):
            await send(instance, peer, mallory if activity["actor"] == mallory.ap_id else bob, activity)
        assert await wait_for(lambda: processed(instance, 8))

        for update in (note_update, event_update):
            announce = await _announce_of(instance, group, update["id"])
            assert announce is not None, update["type"]
            assert announce["actor"] == group.ap_id and announce["audience"] == group.ap_id
            assert announce["cc"] == [group.followers_url] and announce["to"] == [PUBLIC]
            assert announce["object"] == update  # unchanged, as received
            assert "proof" in announce  # the group's own
        for activity in forged:
            assert await _announce_of(instance, group, activity["id"]) is None
        stored = await object_store.object_by_ap_id(instance.pool, note["id"])
        assert stored is not None and stored.content == "<p>Kat gevonden!</p>"
        held = await event_store.event_by_ap_id(instance.pool, event["id"])
        assert held is not None and held.fields.status == "cancelled"
        assert await wait_for(lambda: _received(peer, group, note_update["id"]))  # delivered to the followers
        assert await wait_for(lambda: _received(peer, group, event_update["id"]))

        # once bob is banned, his Updates are no longer announced by the group
        bob_row = await actor_store.actor_by_ap_id(instance.pool, bob.ap_id)
        assert bob_row is not None
        assert await moderation.remove_member(fed, anna, group, bob_row, ban=True)
        late = _activity(peer, "Update", bob, _changed(note, "Nog een keer"))
        await send(instance, peer, bob, late)
        assert await wait_for(lambda: processed(instance, 9))
        assert await _announce_of(instance, group, late["id"]) is None


async def test_no_announce_of_an_update_of_a_queued_or_rejected_post(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "stil", founder=anna, name="Stil", posting_mode="moderated")
    async with scripted_peer() as peer:
        bob = peer.make_actor("bob")
        await _join(instance, peer, group, bob)
        queued, rejected = _post(peer, bob, group, "Wacht"), _post(peer, bob, group, "Nee")
        for post in (queued, rejected):
            await send(instance, peer, bob, _activity(peer, "Create", bob, post))
        assert await wait_for(lambda: processed(instance, 3))
        assert await moderation.decide_queued_post(fed, anna, group, rejected["id"], approve=False) == "rejected"
        updates = [
            _activity(peer, "Update", bob, _changed(queued, "Wacht nog")),
            _activity(peer, "Update", bob, _changed(rejected, "Toch wel")),
        ]
        for update in updates:
            await send(instance, peer, bob, update)
        assert await wait_for(lambda: processed(instance, 5))
        states = {
            post["id"]: (await neighbourhood_store.group_post(instance.pool, group.id, post["id"]))
            for post in (queued, rejected)
        }
        assert [s.state if s else None for s in states.values()] == ["queued", "rejected"]
        for update in updates:
            assert await _announce_of(instance, group, update["id"]) is None
        stored = await object_store.object_by_ap_id(instance.pool, queued["id"])
        assert stored is not None and stored.content == "<p>Wacht nog</p>"  # applied, just not announced
