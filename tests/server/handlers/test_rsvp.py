"""RSVPs to a local event in every dialect, sent by scripted remote peers through the real
inbox and worker: Mobilizon Join/Leave (answered with Accept/Reject carrying the whole
Join), Friendica Accept/TentativeAccept/Reject, Undo, capacity, deleted events, Ignore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from server.domain import events
from server.domain.actors import create_local_actor
from server.storage import events as event_store
from server.storage import inbox as inbox_store
from server.storage.events import EventFields
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer


async def send(inst: Instance, peer: ScriptedPeer, actor: PeerActor, activity: dict[str, Any]) -> None:
    body = orjson.dumps(activity)
    headers = peer.signed_headers(actor, inst.url("/inbox"), body)
    async with inst.session.post(inst.url("/inbox"), data=body, headers=headers) as resp:
        assert resp.status == 202, await resp.text()


async def processed(inst: Instance, n: int) -> bool:
    states = await inbox_store.count_by_state(inst.pool)
    return sum(states.get(s, 0) for s in ("done", "ignored", "failed")) >= n


def rsvp(peer: ScriptedPeer, actor: PeerActor, kind: str, obj: Any) -> dict[str, Any]:
    return {"@context": AS, "id": peer.activity_id(), "type": kind, "actor": actor.ap_id, "object": obj}


def answers(peer: ScriptedPeer, kind: str) -> list[dict[str, Any]]:
    return [a for a in peer.received if a.get("type") == kind]


async def local_event(inst: Instance, **changes: Any) -> str:
    organiser = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    fields = EventFields(name="Buurtfeest", starts_at=start, ends_at=start + timedelta(hours=3), **changes)
    row = await events.create_event(federating(inst), organiser, fields, "<p>Kom ook!</p>")
    return row.ap_id


async def state_of(inst: Instance, event_ap_id: str, actor_ap_id: str) -> str | None:
    row = await inst.pool.fetchrow(
        """SELECT ea.state FROM event_attendees ea JOIN objects o ON o.id = ea.event_id
           JOIN actors a ON a.id = ea.actor_id WHERE o.ap_id = $1 AND a.ap_id = $2""",
        event_ap_id,
        actor_ap_id,
    )
    return row["state"] if row else None


async def test_join_to_a_full_event_is_rejected_with_a_reason(instance: Instance) -> None:
    event_id = await local_event(instance, capacity=1)
    async with scripted_peer() as peer:
        anna, ben = peer.make_actor("anna"), peer.make_actor("ben")
        first = rsvp(peer, anna, "Join", event_id)
        await send(instance, peer, anna, first)
        await wait_for(lambda: processed(instance, 1))
        second = rsvp(peer, ben, "Join", event_id)
        await send(instance, peer, ben, second)
        await wait_for(lambda: processed(instance, 2))
        accepted = await wait_for(lambda: _one(peer, "Accept"))
        rejected = await wait_for(lambda: _one(peer, "Reject"))
    # Mobilizon reads the whole Join as the object of the answer
    assert accepted["object"]["id"] == first["id"] and accepted["object"]["type"] == "Join"
    assert accepted["object"]["object"] == event_id
    assert rejected["object"]["id"] == second["id"]
    assert rejected["summary"] == "this event is full"
    assert await state_of(instance, event_id, anna.ap_id) == "going"
    assert await state_of(instance, event_id, ben.ap_id) is None
    event = await event_store.event_by_ap_id(instance.pool, event_id)
    assert event is not None
    assert (await event_store.attendee_counts(instance.pool, event.object_id))["going"] == 1


async def _one(peer: ScriptedPeer, kind: str) -> dict[str, Any] | None:
    found = answers(peer, kind)
    return found[0] if found else None


async def test_rsvp_to_a_deleted_event_is_rejected(instance: Instance) -> None:
    event_id = await local_event(instance)
    organiser = await _organiser(instance)
    await events.delete_event(federating(instance), organiser, event_id)
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        await send(instance, peer, anna, rsvp(peer, anna, "Join", event_id))
        rejected = await wait_for(lambda: _one(peer, "Reject"))
    assert rejected["summary"] == "this event was deleted"
    assert await state_of(instance, event_id, anna.ap_id) is None


async def _organiser(inst: Instance) -> Any:
    from server.storage import actors as actor_store

    found = await actor_store.local_actor(inst.pool, "oosterpark")
    assert found is not None
    return found


async def test_friendica_accept_tentative_and_reject_map_onto_one_attendee(instance: Instance) -> None:
    event_id = await local_event(instance)
    event_doc = {"id": event_id, "type": "Event"}
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        await send(instance, peer, anna, rsvp(peer, anna, "TentativeAccept", event_doc))
        await wait_for(lambda: processed(instance, 1))
        assert await state_of(instance, event_id, anna.ap_id) == "maybe"
        accept = rsvp(peer, anna, "Accept", event_id)
        await send(instance, peer, anna, accept)
        await wait_for(lambda: processed(instance, 2))
        assert await state_of(instance, event_id, anna.ap_id) == "going"
        await send(instance, peer, anna, rsvp(peer, anna, "Reject", event_id))
        await wait_for(lambda: processed(instance, 3))
        assert await state_of(instance, event_id, anna.ap_id) == "declined"
        assert answers(peer, "Accept") == []  # Friendica expects no answer
        # Undo of the (current) Reject: no answer recorded any more
        last_id = await instance.pool.fetchval("SELECT rsvp_ap_id FROM event_attendees")
        await send(instance, peer, anna, rsvp(peer, anna, "Undo", {"id": last_id, "type": "Reject"}))
        await wait_for(lambda: processed(instance, 4))
        assert await state_of(instance, event_id, anna.ap_id) is None


async def test_leave_and_undo_join_end_attendance(instance: Instance) -> None:
    event_id = await local_event(instance)
    async with scripted_peer() as peer:
        anna, ben = peer.make_actor("anna"), peer.make_actor("ben")
        join_a, join_b = rsvp(peer, anna, "Join", event_id), rsvp(peer, ben, "Join", event_id)
        await send(instance, peer, anna, join_a)
        await send(instance, peer, ben, join_b)
        await wait_for(lambda: processed(instance, 2))
        assert await state_of(instance, event_id, anna.ap_id) == "going"
        await send(instance, peer, anna, rsvp(peer, anna, "Leave", event_id))
        await send(instance, peer, ben, rsvp(peer, ben, "Undo", join_b))
        await wait_for(lambda: processed(instance, 4))
    assert await state_of(instance, event_id, anna.ap_id) is None
    assert await state_of(instance, event_id, ben.ap_id) is None


async def test_an_undo_by_someone_else_changes_nothing(instance: Instance) -> None:
    event_id = await local_event(instance)
    async with scripted_peer() as peer:
        anna, mallory = peer.make_actor("anna"), peer.make_actor("mallory")
        join = rsvp(peer, anna, "Join", event_id)
        await send(instance, peer, anna, join)
        await wait_for(lambda: processed(instance, 1))
        await send(instance, peer, mallory, rsvp(peer, mallory, "Undo", join["id"]))
        await wait_for(lambda: processed(instance, 2))
    assert await state_of(instance, event_id, anna.ap_id) == "going"


async def test_event_without_rsvps_answers_ignore(instance: Instance) -> None:
    event_id = await local_event(instance, join_mode="none")
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        join = rsvp(peer, anna, "Join", event_id)
        await send(instance, peer, anna, join)
        ignored = await wait_for(lambda: _one(peer, "Ignore"))
    assert ignored["object"]["id"] == join["id"]
    assert await state_of(instance, event_id, anna.ap_id) is None


async def test_restricted_event_keeps_join_pending_until_the_organiser_approves(instance: Instance) -> None:
    from server.domain.rsvp import approve_attendee
    from server.storage import actors as actor_store

    event_id = await local_event(instance, join_mode="restricted")
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        await send(instance, peer, anna, rsvp(peer, anna, "Join", event_id))
        await wait_for(lambda: processed(instance, 1))
        assert await state_of(instance, event_id, anna.ap_id) == "pending"
        assert answers(peer, "Accept") == []
        remote_anna = await actor_store.actor_by_ap_id(instance.pool, anna.ap_id)
        assert remote_anna is not None
        assert await approve_attendee(federating(instance), await _organiser(instance), event_id, remote_anna)
        accepted = await wait_for(lambda: _one(peer, "Accept"))
    assert accepted["object"]["type"] == "Join"
    assert await state_of(instance, event_id, anna.ap_id) == "going"


async def test_join_of_something_that_is_not_an_event_is_not_claimed(instance: Instance) -> None:
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        await send(instance, peer, anna, rsvp(peer, anna, "Join", instance.url("/objects/nothing-here")))
        await wait_for(lambda: processed(instance, 1))
        assert (await inbox_store.count_by_state(instance.pool)) == {"ignored": 1}
        assert peer.received == []
