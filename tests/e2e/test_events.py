"""Three real instances: RSVP to a remote event (Join → Accept), a full event (→ Reject),
a cancellation reaching an attendee who no longer follows the organiser, a vote in a
remote poll counted once, and the poll closing everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain import events, follows, polls, rsvp
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import follows as follow_store
from server.storage import polls as poll_store
from server.storage.actors import ActorRow
from server.storage.events import EventFields
from tests.harness import Instance, federating, wait_for


async def _follow(inst: Instance, follower: ActorRow, target: str) -> None:
    await follows.follow(federating(inst), follower, target)

    async def accepted() -> bool:
        remote = await actor_store.actor_by_ap_id(inst.pool, target)
        return remote is not None and await follow_store.follow_state(inst.pool, follower.id, remote.id) == "accepted"

    await wait_for(accepted)


async def _state(inst: Instance, event_ap_id: str, actor: ActorRow) -> str | None:
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    if event is None:
        return None
    row = await event_store.attendee(inst.pool, event.object_id, actor.id)
    return row.state if row else None


async def test_rsvp_capacity_and_cancellation_across_instances(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    await _follow(b, bob, buurt.ap_id)
    await _follow(c, carol, buurt.ap_id)

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    fields = EventFields(name="Buurtfeest", starts_at=start, ends_at=start + timedelta(hours=3),
                         timezone="Europe/Amsterdam", place_name="Buurthuis", capacity=1)  # fmt: skip
    row = await events.create_event(federating(a), buurt, fields, "<p>Kom!</p>")
    on_b = await wait_for(lambda: event_store.event_by_ap_id(b.pool, row.ap_id))
    await wait_for(lambda: event_store.event_by_ap_id(c.pool, row.ap_id))
    assert on_b.fields.capacity == 1 and on_b.fields.place_name == "Buurthuis" and not on_b.is_local

    # bob takes the only place: Join, answered with Accept
    assert await rsvp.rsvp(federating(b), bob, row.ap_id, "going") == "pending"
    assert await wait_for(lambda: _is(b, row.ap_id, bob, "going"))
    remote_bob = await actor_store.actor_by_ap_id(a.pool, bob.ap_id)
    assert remote_bob is not None and await _state(a, row.ap_id, remote_bob) == "going"

    # carol is too late: Reject with a reason; her pending RSVP goes
    assert await rsvp.rsvp(federating(c), carol, row.ap_id, "going") == "pending"
    assert await wait_for(lambda: _is(c, row.ap_id, carol, None))
    event = await event_store.event_by_ap_id(a.pool, row.ap_id)
    assert event is not None and (await event_store.attendee_counts(a.pool, event.object_id))["going"] == 1

    # bob stops following, but as an attendee he still hears of the cancellation
    remote_buurt = await actor_store.actor_by_ap_id(b.pool, buurt.ap_id)
    assert remote_buurt is not None
    await follows.unfollow(federating(b), bob, remote_buurt)
    await wait_for(lambda: _no_follower(a, buurt))
    await events.cancel_event(federating(a), buurt, row.ap_id)
    assert await wait_for(lambda: _status(b, row.ap_id, "cancelled"))
    assert await wait_for(lambda: _status(c, row.ap_id, "cancelled"))


async def _is(inst: Instance, event_ap_id: str, actor: ActorRow, state: str | None) -> bool:
    return await _state(inst, event_ap_id, actor) == state


async def _no_follower(inst: Instance, actor: ActorRow) -> bool:
    return await follow_store.count_followers(inst.pool, actor.id) == 1


async def _status(inst: Instance, event_ap_id: str, status: str) -> bool:
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    return event is not None and event.fields.status == status


async def test_vote_in_a_remote_poll_counts_once_and_the_poll_closes_everywhere(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    await _follow(b, bob, buurt.ap_id)
    await _follow(c, carol, buurt.ap_id)
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    row = await polls.create_poll(federating(a), buurt, "Een bankje op het plein?", ["Ja", "Nee"], ends_at=ends)
    await wait_for(lambda: poll_store.poll_by_ap_id(b.pool, row.ap_id))
    await wait_for(lambda: poll_store.poll_by_ap_id(c.pool, row.ap_id))

    await polls.vote(federating(b), bob, row.ap_id, ["Ja"])
    with pytest.raises(polls.InvalidPoll, match="voted already"):
        await polls.vote(federating(b), bob, row.ap_id, ["Nee"])
    await polls.vote(federating(c), carol, row.ap_id, ["Nee"])

    async def counted_on_a() -> bool:
        poll = await poll_store.poll_by_ap_id(a.pool, row.ap_id)
        return poll is not None and await poll_store.voters_count(a.pool, poll) == 2

    await wait_for(counted_on_a)
    # the Update with the results reaches the voters' instances
    assert await wait_for(lambda: _reported(b, row.ap_id, [1, 1], 2))

    await a.pool.execute("UPDATE polls SET ends_at = now() - interval '1 second'")
    assert await polls.close_due_polls(federating(a), datetime.now(UTC)) == [row.ap_id]
    assert await wait_for(lambda: _closed(b, row.ap_id))
    assert await wait_for(lambda: _closed(c, row.ap_id))
    with pytest.raises(polls.InvalidPoll, match="closed"):
        await polls.vote(federating(c), carol, row.ap_id, ["Ja"])


async def _reported(inst: Instance, ap_id: str, votes: list[int], voters: int) -> bool:
    poll = await poll_store.poll_by_ap_id(inst.pool, ap_id)
    if poll is None:
        return False
    counts = [o.votes for o in await poll_store.option_counts(inst.pool, poll)]
    return counts == votes and await poll_store.voters_count(inst.pool, poll) == voters


async def _closed(inst: Instance, ap_id: str) -> bool:
    poll = await poll_store.poll_by_ap_id(inst.pool, ap_id)
    return poll is not None and poll.closed_at is not None
