"""Every captured payload of real servers goes through the whole inbox pipeline of a running
instance -- receive, the queue, the worker's process_item, the handlers -- and is stored,
or cleanly ignored or refused with a reason: never an exception, never a 5xx, never an
inbox row left `failed`.

How the pipeline is run offline (the payloads' ids are on foreign hosts) is described in
tests/interop/pipeline.py: the key resolver is a test double (it answers the test key as
the payload actor's key; signatures themselves are covered elsewhere) and every network
fetch fails cleanly (`Unavailable`). Bare objects are sent as real servers send them:
content wrapped in a `Create` by its author, actor documents in an `Update` by the actor
itself; collections and tombstones are sent as they are and must be refused with a 4xx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from federation.authorise import ACTOR_TYPES, value_id
from federation.inbox import Accepted, Ignored, Rejected
from server.storage import objects as object_store
from tests.harness import PEER_ADDRESSES, Instance, running_instance
from tests.interop.pipeline import ABSENT, PAYLOADS, OfflinePipeline, PipelineResult, load

FILES = sorted(PAYLOADS.rglob("*.json")) if PAYLOADS.is_dir() else []
# Activities that are in fact bare objects.
BARE_OBJECTS = {"mastodon/activities/private_message.json"}
# Real payloads we refuse at the door, and why (each is a rule we mean to keep).
REFUSED = {
    # a Lemmy moderator removing a comment that lives on another server: only the owner's
    # server may delete an object (a moderation Delete of a foreign object is not applied)
    "lemmy/activities/deletion/remove_note.json": 403,
    # likewise a moderator on one server updating a community that lives on another
    "lemmy/activities/community/update_community.json": 403,
}
# Answered 202 without being queued: an unknown actor deleting itself costs nothing.
IGNORED_AT_THE_DOOR = {"lemmy/activities/deletion/delete_user.json"}
# Objects that must end up stored, by the pipeline, offline.
STORED = {
    "mastodon/activities/create_note.json",
    "pleroma/activities/create_note.json",
    "friendica/activities/create_note.json",
    "lemmy/activities/create_or_update/create_page.json",
    "lemmy/activities/create_or_update/create_comment.json",
    "mitra/activities/create_post.json",
    "smithereen/activities/create_note.json",
    "gnusocial/activities/create_note.json",
    "mastodon/objects/note_1.json",
    "friendica/objects/page_2.json",
    "friendica/activities/create_page_1.json",
    "lotide/activities/create_page.json",
    "peertube/objects/note.json",
    "lemmy/objects/page_image_and_link.json",
    "wordpress/objects/note.json",
    "nodebb/objects/page.json",
}


def _name(path: Path) -> str:
    return path.relative_to(PAYLOADS).as_posix()


def as_sent(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The payload as a server would POST it to an inbox."""
    kind = data.get("type")
    if "/activities/" in name and name not in BARE_OBJECTS:
        return data
    if "/collections/" in name or kind == "Tombstone":
        return data
    if kind in ACTOR_TYPES:
        return {"id": f"{data['id']}#update-interop", "type": "Update", "actor": data["id"], "object": data}
    author = value_id(data.get("attributedTo")) or value_id(data.get("actor"))
    return {
        "id": f"{data['id']}#create-interop",
        "type": "Create",
        "actor": author,
        "to": data.get("to", []),
        "cc": data.get("cc", []),
        "object": data,
    }


@pytest.fixture
async def quiet_instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """A real instance whose own workers are off: the test runs `process_item` itself."""
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        yield inst


def assert_clean(name: str, result: PipelineResult) -> None:
    outcome = result.outcome
    if isinstance(outcome, Rejected):
        assert 400 <= outcome.status < 500 and outcome.reason, f"{name}: {outcome}"
        return
    if isinstance(outcome, Ignored):
        assert outcome.reason, name
        return
    assert isinstance(outcome, Accepted), name
    assert result.state in ("done", "ignored"), f"{name}: row {result.state} ({result.reason})"
    if result.state == "ignored":
        assert result.reason, f"{name}: ignored without a reason"


@pytest.mark.parametrize("path", FILES, ids=_name)
async def test_every_payload_through_the_pipeline(quiet_instance: Instance, path: Path) -> None:
    name = _name(path)
    sent = as_sent(name, load(path))
    async with OfflinePipeline(quiet_instance) as pipeline:
        result = await pipeline.run(sent)
    assert_clean(name, result)
    if name in REFUSED:
        assert isinstance(result.outcome, Rejected) and result.outcome.status == REFUSED[name], result
    elif name in IGNORED_AT_THE_DOOR:
        assert isinstance(result.outcome, Ignored), result
    elif "/collections/" in name or sent.get("type") == "Tombstone":
        assert isinstance(result.outcome, Rejected), f"{name} is not an activity: {result}"
    else:
        assert isinstance(result.outcome, Accepted), f"{name}: {result.outcome}"
    if name in STORED:
        assert result.state == "done", f"{name}: {result.reason}"
        obj = sent["object"]
        object_id = obj if isinstance(obj, str) else obj["id"]
        assert await object_store.object_by_ap_id(quiet_instance.pool, object_id) is not None, name


async def test_a_payload_twice_is_stored_once(quiet_instance: Instance) -> None:
    if not PAYLOADS.is_dir():
        pytest.skip(ABSENT)
    sent = load("mastodon/activities/create_note.json")
    async with OfflinePipeline(quiet_instance) as pipeline:
        first = await pipeline.run(sent)
        second = await pipeline.run(sent)
    assert first.state == "done"
    assert isinstance(second.outcome, Accepted) and second.outcome.duplicate


async def test_a_foreign_object_inside_a_create_is_not_trusted(quiet_instance: Instance) -> None:
    """An Announce of another server's object keeps only its id; the refetch fails offline,
    so nothing of the embedded copy is stored."""
    if not PAYLOADS.is_dir():
        pytest.skip(ABSENT)
    sent = load("lemmy/activities/community/announce_create_page.json")
    async with OfflinePipeline(quiet_instance) as pipeline:
        result = await pipeline.run(sent)
    assert result.state in ("done", "ignored")
    inner = sent["object"]["object"]
    assert await object_store.object_by_ap_id(quiet_instance.pool, inner["id"]) is None
