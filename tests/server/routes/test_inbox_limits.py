"""Limits on what the inbox takes in: array lengths (`to`/`cc`, `tag`, `attachment`), string
lengths of stored content and remote profiles. Refusals are 400 and leave nothing behind."""

from __future__ import annotations

import orjson
import pytest

from activitypub.jsonparse import DEFAULT_MAX_ITEMS
from server.handlers.content import MAX_CONTENT
from server.storage import actors as actor_store
from server.storage import objects as object_store
from tests.harness import Instance, wait_for
from tests.scripted_peer import scripted_peer
from tests.server.routes.test_inbox import note_create, post, stored
from tests.server.test_handlers import processed


@pytest.mark.parametrize("field", ["to", "cc", "tag", "attachment"])
async def test_arrays_longer_than_the_limit_are_refused(instance: Instance, field: str) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        activity = note_create(peer, actor)
        entries = [f"{peer.base}/users/u{i}" for i in range(DEFAULT_MAX_ITEMS + 1)]
        activity["object"][field] = entries
        body = orjson.dumps(activity)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 400
        activity[field] = entries  # on the activity itself too
        del activity["object"][field]
        body = orjson.dumps(activity)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 400
        assert await stored(instance) == 0
        assert peer.requests == []  # refused before any key fetch


async def test_arrays_at_the_limit_are_accepted(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        activity = note_create(peer, actor, cc=[f"{peer.base}/u/{i}" for i in range(DEFAULT_MAX_ITEMS)])
        body = orjson.dumps(activity)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202


async def test_long_content_is_stored_capped_and_sanitised(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        activity = note_create(peer, actor)
        activity["object"]["content"] = "<script>alert(1)</script>" + "a" * (MAX_CONTENT + 50_000)
        body = orjson.dumps(activity)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        await wait_for(lambda: processed(instance, 1))
        row = await object_store.object_by_ap_id(instance.pool, activity["object"]["id"])
        assert row is not None
        assert len(row.content) <= MAX_CONTENT
        assert "<script" not in row.content and "alert" not in row.content


async def test_remote_profile_strings_are_capped(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        peer.serve("/users/alice", dict(actor.document, name="n" * 20_000, summary="s" * 200_000))
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        row = await actor_store.actor_by_ap_id(instance.pool, actor.ap_id)
        assert row is not None
        assert len(row.name) == 500 and len(row.summary) == 5000


async def test_object_name_and_summary_stay_within_the_body_cap(instance: Instance) -> None:
    """Strings inside a stored document are bounded by `inbox_max_bytes`: a 300 KiB summary
    cannot arrive at all."""
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        activity = note_create(peer, actor)
        activity["object"]["summary"] = "s" * (300 * 1024)
        body = orjson.dumps(activity)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 413
