"""Mobilizon group events: a member creates an event attributed to a group of the same
server (`actor` = the member, `attributedTo` = the group); we store it as the group's event.

The shapes are Mobilizon's own (mobilizon/objects/event.json, group.json, person.json of
the interop corpus), run offline through the real inbox pipeline (tests/interop/pipeline.py).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from federation.actors import RemoteActor, read_actor
from federation.inbox import Accepted
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from tests.harness import PEER_ADDRESSES, Instance, running_instance
from tests.interop.pipeline import ABSENT, PAYLOADS, OfflinePipeline, load

SERVER = "https://rendezvous.nomagic.uk"
GROUP = f"{SERVER}/@devon_caledonian_society"
MEMBER = f"{SERVER}/@emorrp1"


@pytest.fixture
async def quiet_instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    if not PAYLOADS.is_dir():
        pytest.skip(ABSENT)
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        yield inst


def group_document() -> dict[str, Any]:
    """Mobilizon's group document, moved to the event's group on the event's server."""
    text = json.dumps(load("mobilizon/objects/group.json"))
    text = text.replace("https://mobilizon.fr/@contribateliers", GROUP).replace(
        "contribateliers", "devon_caledonian_society"
    )
    doc: dict[str, Any] = json.loads(text.replace("https://mobilizon.fr", SERVER))
    return doc


def create_by_member(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": event.get("@context"),
        "id": f"{event['id']}/activity",
        "type": "Create",
        "actor": MEMBER,
        "to": event["to"],
        "cc": event["cc"],
        "object": {k: v for k, v in event.items() if k != "@context"},
    }


async def store_group(pipeline: OfflinePipeline) -> int:
    group = read_actor(group_document())
    assert isinstance(group, RemoteActor), group
    return (await pipeline.remote.store(group)).id


async def test_a_members_event_is_stored_as_the_groups_event(quiet_instance: Instance) -> None:
    event = load("mobilizon/objects/event.json")
    async with OfflinePipeline(quiet_instance) as pipeline:
        group_id = await store_group(pipeline)
        result = await pipeline.run(create_by_member(event))
    assert isinstance(result.outcome, Accepted)
    assert result.state == "done", result.reason
    stored = await event_store.event_by_ap_id(quiet_instance.pool, event["id"])
    assert stored is not None
    assert stored.actor_id == group_id and stored.attributed_to == GROUP
    assert stored.fields.place_name == "The Kenn Centre"
    member = await actor_store.actor_by_ap_id(quiet_instance.pool, MEMBER)
    assert member is not None and member.id != group_id


async def test_the_members_update_refreshes_the_groups_event(quiet_instance: Instance) -> None:
    event = load("mobilizon/objects/event.json")
    async with OfflinePipeline(quiet_instance) as pipeline:
        await store_group(pipeline)
        await pipeline.run(create_by_member(event))
        changed = copy.deepcopy(event)
        changed["name"] = "Caledonian dance class (moved)"
        changed["updated"] = "2022-12-01T10:00:00Z"
        update = {**create_by_member(changed), "id": f"{event['id']}/update/1", "type": "Update"}
        result = await pipeline.run(update)
    assert result.state == "done", result.reason
    row = await object_store.object_by_ap_id(quiet_instance.pool, event["id"])
    assert row is not None and row.document is not None and row.document["name"] == "Caledonian dance class (moved)"


async def test_an_unreachable_group_is_ignored_with_a_reason(quiet_instance: Instance) -> None:
    """The group is unknown and its server cannot be reached: nothing is stored under the
    member by mistake; the row says why."""
    event = load("mobilizon/objects/event.json")
    async with OfflinePipeline(quiet_instance) as pipeline:
        result = await pipeline.run(create_by_member(event))
    assert result.state == "ignored"
    assert result.reason == "the event's group could not be fetched"
    assert await object_store.object_by_ap_id(quiet_instance.pool, event["id"]) is None


async def test_an_event_attributed_to_another_person_is_not_stored(quiet_instance: Instance) -> None:
    event = load("mobilizon/objects/event.json")
    other = load("mobilizon/objects/person.json")
    other_doc = json.loads(json.dumps(other).replace(other["id"], f"{SERVER}/@someone_else"))
    other_doc["preferredUsername"] = "someone_else"
    event["attributedTo"] = other_doc["id"]
    async with OfflinePipeline(quiet_instance) as pipeline:
        person = read_actor({**other_doc, "inbox": other_doc["id"] + "/inbox"})
        assert isinstance(person, RemoteActor), person
        await pipeline.remote.store(person)
        result = await pipeline.run(create_by_member(event))
    assert result.state == "ignored"
    assert result.reason is not None and "not a group" in result.reason
    assert await object_store.object_by_ap_id(quiet_instance.pool, event["id"]) is None
