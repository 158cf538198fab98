"""The going count on another server's event page: the organiser's last count plus our
residents' going answers made after that count arrived, at once and never twice (an
answer the organiser's next Update counts is not added again), with the real database
and over real federation between two instances."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain import rsvp
from server.domain.actors import create_local_actor
from server.domain.events import create_event, update_event
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage.events import EventFields
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.test_remote_event_pages import becomes, follow, link_of, state_of

SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)


async def remote_event(inst: Instance, reported: int) -> str:
    """A public event of another server (as its Create left it), with its count."""
    organiser = await actor_store.upsert_remote_actor(
        inst.pool,
        {"ap_id": "http://remote.example/users/org", "kind": "Person", "is_local": False, "username": "org",
         "domain": "remote.example", "inbox_url": "http://remote.example/users/org/inbox"},
    )  # fmt: skip
    ap_id = f"http://remote.example/events/{uuid.uuid4().hex}"
    document = {"id": ap_id, "type": "Event", "name": "Buurtfeest", "attributedTo": organiser.ap_id}
    row = await object_store.insert_object(
        inst.pool,
        {"ap_id": ap_id, "type": "Event", "actor_id": organiser.id, "attributed_to": organiser.ap_id,
         "visibility": "public", "is_local": False, "content": "", "document": document,
         "published_at": datetime.now(UTC)},
    )  # fmt: skip
    assert row is not None
    fields = EventFields(name="Buurtfeest", starts_at=SOON, timezone="UTC", reported_participants=reported)
    await event_store.insert_event(inst.pool, row.id, fields)
    return ap_id


async def organisers_update(inst: Instance, ap_id: str, count: int) -> None:
    """What an incoming Update does to the count: the new count, objects.updated_at now."""
    await inst.pool.execute(
        """UPDATE events SET reported_participants = $2
           WHERE object_id = (SELECT id FROM objects WHERE ap_id = $1)""",
        ap_id,
        count,
    )
    await inst.pool.execute("UPDATE objects SET updated_at = now() WHERE ap_id = $1", ap_id)


async def going_shown(browser: PageClient, ap_id: str) -> str:
    status, page = await browser.get(link_of(ap_id))
    assert status == 200 and "organised on another server" in page
    return page


async def test_answers_after_the_last_count_are_added_once(instance: Instance) -> None:
    pool = instance.pool
    ap_id = await remote_event(instance, reported=5)
    event = await event_store.event_by_ap_id(pool, ap_id)
    assert event is not None
    anna, bram, carla = [
        await create_local_actor(pool, instance.settings, kind="Person", username=name)
        for name in ("anna", "bram", "carla")
    ]
    async with PageClient(instance) as visitor:
        assert "5 people are going" in await going_shown(visitor, ap_id)
        # anna answers after the Create brought the count: the organiser cannot have it yet
        await event_store.upsert_attendee(pool, event.object_id, anna.id, "going", None)
        assert "6 people are going" in await going_shown(visitor, ap_id)
        # the organiser's Update counts her: shown once, not twice
        await organisers_update(instance, ap_id, 6)
        assert "6 people are going" in await going_shown(visitor, ap_id)

        # bram asks (a Join, waiting), the organiser lets him in and sends an Update that
        # arrives before its Accept: the Accept does not make his answer new
        await event_store.upsert_attendee(pool, event.object_id, bram.id, "pending", f"{ap_id}#join-bram")
        assert "6 people are going" in await going_shown(visitor, ap_id)  # waiting is not going
        await organisers_update(instance, ap_id, 7)
        found = await event_store.attendee(pool, event.object_id, bram.id)
        assert found is not None
        await event_store.set_attendee_state(pool, found.id, "going")
        assert "7 people are going" in await going_shown(visitor, ap_id)

        # carla said "not going" before the last count, then changes her mind: a new answer
        await event_store.upsert_attendee(pool, event.object_id, carla.id, "declined", None)
        await organisers_update(instance, ap_id, 7)
        await event_store.upsert_attendee(pool, event.object_id, carla.id, "going", None)
        assert "8 people are going" in await going_shown(visitor, ap_id)

        # an organiser that counts fewer than our own going residents never shows less than ours
        await organisers_update(instance, ap_id, 0)
        assert "3 people are going" in await going_shown(visitor, ap_id)


async def test_a_residents_answer_counts_on_the_remote_page_at_once_and_once(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(b) as bob,
        PageClient(b) as visitor,
    ):
        buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
        anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
        await bob.register("bob")
        bob_row = await actor_store.local_actor(b.pool, "bob")
        carla = await create_local_actor(b.pool, b.settings, kind="Person", username="carla")
        assert bob_row is not None
        await follow(b, bob_row, buurt.ap_id)
        fields = EventFields(name="Snoeidag", starts_at=SOON, timezone="Europe/Amsterdam", place_name="Speeltuin")
        event = await create_event(federating(a), buurt, fields, "<p>Neem een schaar mee</p>")
        await rsvp.rsvp(federating(a), anna, event.ap_id, "going")

        async def reported_on_b() -> int | None:
            found = await event_store.event_by_ap_id(b.pool, event.ap_id)
            return found.fields.reported_participants if found else None

        async def organiser_updates(name: str) -> None:
            current = await event_store.event_by_ap_id(a.pool, event.ap_id)
            assert current is not None
            await update_event(federating(a), buurt, event.ap_id, replace(current.fields, name=name))

        await wait_for(lambda: event_store.event_by_ap_id(b.pool, event.ap_id))
        await organiser_updates("Snoeidag!")
        await wait_for(becomes(reported_on_b, 1))  # anna, on the organiser's server
        assert "1 person is going" in await going_shown(visitor, event.ap_id)

        status, _, _ = await bob.submit("/event/rsvp", {"uri": event.ap_id, "answer": "going"},
                                           from_page=link_of(event.ap_id))  # fmt: skip
        assert status == 200
        await wait_for(becomes(lambda: state_of(b, event.ap_id, bob_row.ap_id), "going"))  # the Accept arrived
        assert await reported_on_b() == 1  # no Update yet
        assert "2 people are going" in await going_shown(visitor, event.ap_id)  # at once

        await organiser_updates("Snoeidag!!")
        await wait_for(becomes(reported_on_b, 2))  # the organiser counts bob now
        assert "2 people are going" in await going_shown(visitor, event.ap_id)  # not twice

        await rsvp.rsvp(federating(b), carla, event.ap_id, "going")
        await wait_for(becomes(lambda: state_of(b, event.ap_id, carla.ap_id), "going"))
        assert await reported_on_b() == 2
        assert "3 people are going" in await going_shown(visitor, event.ap_id)
