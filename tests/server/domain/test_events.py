"""Organising events on one real instance: validation first, then create, serve, RSVP of
residents, capacity, the attendees collection (count public, names private), update and
cancellation (with the Note Mastodon users see)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.domain import events, rsvp
from server.domain.actors import create_local_actor
from server.storage import events as event_store
from server.storage.events import EventFields
from tests.harness import Instance, federating

AS2 = {"Accept": "application/activity+json"}


def upcoming(**changes: Any) -> EventFields:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    values: dict[str, Any] = {
        "name": "Buurtfeest",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": "Europe/Amsterdam",
        "place_name": "Buurthuis",
        "locality": "Amsterdam",
    }
    values.update(changes)
    return EventFields(**values)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"ends_at": datetime(2000, 1, 1, tzinfo=UTC)}, "cannot end before it starts"),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"capacity": 0}, "capacity must be at least 1"),
        ({"online_url": "javascript:alert(1)"}, "http(s) URL"),
        ({"join_mode": "everyone"}, "join mode"),
        ({"latitude": 91.0}, "latitude"),
    ],
)
async def test_invalid_events_are_refused_with_a_reason(
    instance: Instance, changes: dict[str, Any], message: str
) -> None:
    resident = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    with pytest.raises(events.InvalidEvent, match=message.replace("(", r"\(").replace(")", r"\)")):
        await events.create_event(federating(instance), resident, upcoming(**changes))
    assert await instance.pool.fetchval("SELECT count(*) FROM events") == 0


async def test_created_event_is_stored_and_served_as_an_event(instance: Instance) -> None:
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    row = await events.create_event(federating(instance), buurt, upcoming(capacity=10), "<p>Kom!</p><script>x</script>")
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None and stored.fields.capacity == 10 and stored.fields.status == "scheduled"
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        assert resp.status == 200
        served = await resp.json(content_type=None)
    assert served["type"] == "Event" and "<script>" not in served["content"]
    assert served["maximumAttendeeCapacity"] == 10 and served["participantCount"] == 0
    assert "maximumAttendeeCapacity" in served["@context"][-1]  # the term is defined
    outbox = await instance.pool.fetchval(
        "SELECT document FROM outgoing_activities WHERE ap_id = $1", row.ap_id + "/activity"
    )
    assert outbox["type"] == "Create" and outbox["object"]["startTime"] == served["startTime"]


async def test_residents_rsvp_and_capacity_holds(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    sam = await create_local_actor(instance.pool, instance.settings, kind="Person", username="sam")
    row = await events.create_event(fed, buurt, upcoming(capacity=1))
    assert await rsvp.rsvp(fed, ria, row.ap_id, "going") == "going"
    with pytest.raises(rsvp.EventUnavailable, match="full"):
        await rsvp.rsvp(fed, sam, row.ap_id, "going")
    assert await rsvp.rsvp(fed, sam, row.ap_id, "maybe") == "maybe"
    assert await rsvp.rsvp(fed, ria, row.ap_id, "going") == "going"  # answering again keeps the place
    with pytest.raises(ValueError, match="answer"):
        await rsvp.rsvp(fed, sam, row.ap_id, "perhaps")


async def test_attendees_count_is_public_names_only_for_the_organiser(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await events.create_event(fed, buurt, upcoming())
    await rsvp.rsvp(fed, ria, row.ap_id, "going")
    async with instance.session.get(row.ap_id + "/attendees", headers=AS2) as resp:
        assert resp.status == 200
        collection = await resp.json(content_type=None)
    assert collection["totalItems"] == 1
    assert "orderedItems" not in collection and ria.ap_id not in str(collection)
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None
    assert await events.attendee_names(instance.pool, stored, buurt.ap_id) == [ria.ap_id]
    assert await events.attendee_names(instance.pool, stored, ria.ap_id) is None
    assert await events.attendee_names(instance.pool, stored, None) is None


async def test_attendees_of_private_or_deleted_events_are_not_served(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    private = await events.create_event(fed, buurt, upcoming(), visibility="followers")
    gone = await events.create_event(fed, buurt, upcoming())
    await events.delete_event(fed, buurt, gone.ap_id)
    async with instance.session.get(private.ap_id + "/attendees", headers=AS2) as resp:
        assert resp.status == 404
    async with instance.session.get(gone.ap_id + "/attendees", headers=AS2) as resp:
        assert resp.status == 410
    async with instance.session.get(instance.url("/objects/unknown/attendees"), headers=AS2) as resp:
        assert resp.status == 404


async def test_cancel_sends_update_and_a_note_for_mastodon(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await events.create_event(fed, buurt, upcoming())
    with pytest.raises(events.NotOrganiser):
        await events.cancel_event(fed, ria, row.ap_id)
    document = await events.cancel_event(fed, buurt, row.ap_id)
    assert document["ical:status"] == "CANCELLED" and document["summary"].startswith("CANCELLED: ")
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None and stored.fields.status == "cancelled"
    kinds = [r["kind"] for r in await instance.pool.fetch(
        "SELECT document->>'type' AS kind FROM outgoing_activities ORDER BY id")]  # fmt: skip
    assert kinds == ["Create", "Update", "Create"]  # the event, its Update, the Note
    note = await instance.pool.fetchrow("SELECT content, in_reply_to FROM objects WHERE type = 'Note'")
    assert note["in_reply_to"] == row.ap_id and "Cancelled: Buurtfeest" in note["content"]
    with pytest.raises(rsvp.EventUnavailable, match="cancelled"):
        await rsvp.rsvp(fed, ria, row.ap_id, "going")


async def test_update_changes_time_and_place(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    row = await events.create_event(fed, buurt, upcoming())
    stored = await event_store.event_by_ap_id(instance.pool, row.ap_id)
    assert stored is not None
    moved = replace(stored.fields, place_name="Park", online_url="https://meet.example/x")
    document = await events.update_event(fed, buurt, row.ap_id, moved, tell_mastodon=False)
    assert [loc["type"] for loc in document["location"]] == ["Place", "VirtualLocation"]
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        served = await resp.json(content_type=None)
    assert served["location"][0]["name"] == "Park" and "updated" in served
