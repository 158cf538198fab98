"""Events held in a neighbourhood, across three real instances: a resident of A organises
an event in A's neighbourhood and a follower of the neighbourhood on C (who does not
follow the organiser) receives it, its cancellation and its deletion through the
group's Announces; a member on B organises
one in the same neighbourhood, A accepts and announces it like a remote member's post and
lists it in the neighbourhood's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.domain import events, membership
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import calendar_events
from server.storage import events as event_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.calendar_events import EventScope, EventWindow
from server.storage.events import EventFields
from tests.e2e.test_events import _follow
from tests.e2e.test_neighbourhoods import _announce_of, _remote, _state_is
from tests.harness import Instance, federating, wait_for


def _fields(name: str) -> EventFields:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    return EventFields(name=name, starts_at=start, ends_at=start + timedelta(hours=2), timezone="Europe/Amsterdam")


async def _in_group_on(inst: Instance, group_ap_id: str, event_ap_id: str) -> bool:
    """The event is stored on `inst` as an event and recorded as the group's."""
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    return event is not None and (await _remote(inst, group_ap_id)).id in (
        await neighbourhood_store.groups_of_object(inst.pool, event_ap_id)
    )


async def test_events_held_in_a_neighbourhood_reach_its_followers(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    dirk = await create_local_actor(a.pool, a.settings, kind="Person", username="dirk")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    group = await create_neighbourhood(federating(a), "oosterpark", founder=anna, name="Oosterpark")
    assert await membership.join(federating(a), dirk, group) == "accepted"
    assert await membership.join(federating(b), bob, await _remote(b, group.ap_id), via="Join") == "pending"
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))
    await _follow(c, carol, group.ap_id)  # carol follows the neighbourhood, not dirk or bob

    # A resident of A organises an event in A's neighbourhood: C gets it via the Announce.
    held = await events.create_event(federating(a), dirk, _fields("Straatfeest"), "<p>Kom!</p>", neighbourhood=group)
    announce = await wait_for(lambda: _announce_of(a, held.ap_id))
    assert announce["actor"] == group.ap_id and announce["object"]["actor"] == dirk.ap_id
    assert await wait_for(lambda: _in_group_on(c, group.ap_id, held.ap_id))
    on_c = await event_store.event_by_ap_id(c.pool, held.ap_id)
    assert on_c is not None and on_c.attributed_to == dirk.ap_id and on_c.fields.name == "Straatfeest"
    # ... and so do its cancellation and its deletion (the group announces them too)
    await events.cancel_event(federating(a), dirk, held.ap_id)
    assert await wait_for(lambda: _status_on(c, held.ap_id, "cancelled"))

    # A member on B organises an event in A's neighbourhood: its Create reaches the group,
    # A accepts it like a remote member's post, announces it and lists it.
    remote = await events.create_event(
        federating(b), bob, _fields("Buurtborrel"), neighbourhood=await _remote(b, group.ap_id)
    )
    announce = await wait_for(lambda: _announce_of(a, remote.ap_id))
    assert announce["object"]["actor"] == bob.ap_id and announce["audience"] == group.ap_id
    on_a = await event_store.event_by_ap_id(a.pool, remote.ap_id)
    assert on_a is not None and not on_a.is_local and on_a.attributed_to == bob.ap_id
    listed = await calendar_events.public_events(a.pool, EventScope(neighbourhood_id=group.id), EventWindow(), 10)
    assert [e.name for e in listed] == ["Straatfeest", "Buurtborrel"]
    assert await wait_for(lambda: _in_group_on(c, group.ap_id, remote.ap_id))
    async with a.session.get(a.url("/calendar/neighbourhoods/oosterpark.ics")) as resp:
        calendar = await resp.text()
    assert "Straatfeest" in calendar and "Buurtborrel" in calendar

    await events.delete_event(federating(a), dirk, held.ap_id)
    assert await wait_for(lambda: _status_on(c, held.ap_id, "deleted"))


async def _status_on(inst: Instance, event_ap_id: str, status: str) -> bool:
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    if event is None:
        return False
    return (event.deleted_at is not None) if status == "deleted" else event.fields.status == status
