"""Events from another server addressed to one of our neighbourhoods, through the real
inbox pipeline (offline, Mobilizon's own event shape): a member's own event is accepted
and announced by the neighbourhood like a remote member's post, and listed; a Mobilizon
group's event (`attributedTo` its group, sent by a member) stays that group's event and
is not announced by ours, even when it names our neighbourhood."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from federation.actors import RemoteActor, read_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import calendar_events
from server.storage import events as event_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.calendar_events import EventScope, EventWindow
from tests.harness import Instance, federating
from tests.interop.pipeline import OfflinePipeline, load
from tests.interop.test_mobilizon_group_events import (
    GROUP,
    MEMBER,
    SERVER,
    create_by_member,
    quiet_instance,
    store_group,
)

__all__ = ["quiet_instance"]  # the fixture


def member_document() -> dict[str, Any]:
    """Mobilizon's person document, moved to the member of the event's server."""
    text = json.dumps(load("mobilizon/objects/person.json")).replace("https://mobilizon.fr/@sanof44", MEMBER)
    doc: dict[str, Any] = json.loads(text.replace("https://mobilizon.fr", SERVER))
    return doc


def upcoming_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = load("mobilizon/objects/event.json")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    event["startTime"] = start.isoformat().replace("+00:00", "Z")
    event["endTime"] = (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z")
    event.update(changes)
    return event


async def _our_group_with_member(inst: Instance, pipeline: OfflinePipeline) -> tuple[ActorRow, int]:
    group = await create_neighbourhood(federating(inst), "oosterpark", name="Oosterpark")
    member = read_actor(member_document())
    assert isinstance(member, RemoteActor), member
    member_id = (await pipeline.remote.store(member)).id
    await membership_store.upsert_membership(inst.pool, group.id, member_id, state="accepted", via="Join")
    return group, member_id


async def _announces_of(inst: Instance, event_ap_id: str) -> list[dict[str, Any]]:
    rows = await inst.pool.fetch(
        """SELECT document FROM outgoing_activities WHERE document ->> 'type' = 'Announce'
           AND document -> 'object' -> 'object' ->> 'id' = $1""",
        event_ap_id,
    )
    return [dict(r["document"]) for r in rows]


async def test_a_remote_members_event_is_announced_and_listed(quiet_instance: Instance) -> None:
    async with OfflinePipeline(quiet_instance) as pipeline:
        group, member_id = await _our_group_with_member(quiet_instance, pipeline)
        event = upcoming_event(attributedTo=MEMBER, audience=group.ap_id)
        event["cc"] = [*event["cc"], group.ap_id]
        result = await pipeline.run(create_by_member(event))
    assert result.state == "done", result.reason
    stored = await event_store.event_by_ap_id(quiet_instance.pool, event["id"])
    assert stored is not None and stored.actor_id == member_id and stored.attributed_to == MEMBER
    post = await neighbourhood_store.group_post(quiet_instance.pool, group.id, event["id"])
    assert post is not None and post.state == "announced"
    [announce] = await _announces_of(quiet_instance, event["id"])
    assert announce["actor"] == group.ap_id and announce["object"]["actor"] == MEMBER
    listed = await calendar_events.public_events(
        quiet_instance.pool, EventScope(neighbourhood_id=group.id), EventWindow(), 10
    )
    assert [e.ap_id for e in listed] == [event["id"]]


async def test_a_mobilizon_groups_event_is_not_announced_by_our_neighbourhood(quiet_instance: Instance) -> None:
    async with OfflinePipeline(quiet_instance) as pipeline:
        group, _ = await _our_group_with_member(quiet_instance, pipeline)
        mobilizon_group_id = await store_group(pipeline)
        event = upcoming_event()  # attributedTo the Mobilizon group
        event["cc"] = [*event["cc"], group.ap_id]
        result = await pipeline.run(create_by_member(event))
    assert result.state == "done", result.reason
    stored = await event_store.event_by_ap_id(quiet_instance.pool, event["id"])
    assert stored is not None and stored.actor_id == mobilizon_group_id and stored.attributed_to == GROUP
    assert await neighbourhood_store.group_post(quiet_instance.pool, group.id, event["id"]) is None
    assert await _announces_of(quiet_instance, event["id"]) == []
