"""The per-process cache of local actors' documents: it answers from what it kept only
while the database says the actor's version is unchanged, on a real database."""

from __future__ import annotations

import tracemalloc
from typing import cast

import orjson

from server.actor_documents import Entry, LocalActorDocuments
from server.domain.actors import create_local_actor
from server.storage.actors import ActorDocumentRow
from tests.harness import Instance


def render_name(row: ActorDocumentRow) -> bytes:
    return (row.actor.name or "").encode()


async def test_an_unchanged_actor_is_served_from_what_was_kept(instance: Instance) -> None:
    await create_local_actor(instance.pool, instance.settings, kind="Person", username="Ann", name="Ann")
    documents = LocalActorDocuments(lambda: instance.pool)
    first = (await documents.fetch(["ann", "nobody"]))["ann"]
    assert first.rendered("name", render_name) == b"Ann"
    again = await documents.fetch(["ann"])
    assert again["ann"] is first
    assert first.rendered("name", lambda row: b"rendered again") == b"Ann"  # kept, not rendered again
    assert await documents.fetch(["nobody"]) == {}


async def test_a_change_in_the_database_is_seen_at_the_next_lookup(instance: Instance) -> None:
    made = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost", name="Oost")
    documents = LocalActorDocuments(lambda: instance.pool)
    first = (await documents.fetch(["oost"]))["oost"]
    first.rendered("name", render_name)
    await instance.pool.execute("UPDATE actors SET name = 'Oosterpark' WHERE id = $1", made.id)
    second = (await documents.fetch(["oost"]))["oost"]
    assert second is not first and second.row.actor.name == "Oosterpark"
    assert second.rendered("name", render_name) == b"Oosterpark"
    # a key change alone makes a new entry too
    await instance.pool.execute("DELETE FROM actor_keys WHERE actor_id = $1 AND algorithm = 'ed25519'", made.id)
    third = (await documents.fetch(["oost"]))["oost"]
    assert third is not second and {key.algorithm for key in third.row.keys} == {"rsa"}
    # another process's cache (here: a second one) sees the same current row
    other = (await LocalActorDocuments(lambda: instance.pool).fetch(["oost"]))["oost"]
    assert other.row == third.row


async def test_a_deleted_actor_is_no_longer_found(instance: Instance) -> None:
    made = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bram")
    documents = LocalActorDocuments(lambda: instance.pool)
    assert "bram" in await documents.fetch(["bram"])
    await instance.pool.execute("DELETE FROM actors WHERE id = $1", made.id)
    assert await documents.fetch(["bram"]) == {}


async def test_at_most_limit_entries_are_kept(instance: Instance) -> None:
    names = [f"bewoner{index}" for index in range(5)]
    for name in names:
        await create_local_actor(instance.pool, instance.settings, kind="Person", username=name)
    documents = LocalActorDocuments(lambda: instance.pool, limit=3)
    found = await documents.fetch(names)
    assert set(found) == set(names) and len(documents) == 3
    # the evicted ones are fetched again, and are still right
    assert set(await documents.fetch(names[:2])) == set(names[:2]) and len(documents) == 3


def test_kept_renderings_take_only_their_own_size() -> None:
    """orjson's result holds a ~16 KB buffer whatever its length; what an entry keeps is
    an exact-size copy (2 048 entries would otherwise hold ~64 MB instead of ~16 MB)."""
    document = {"name": "x" * 1500}
    entries = [Entry(cast(ActorDocumentRow, None)) for _ in range(50)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for entry in entries:
            entry.rendered("actor", lambda _row: orjson.dumps(document))
        kept = (tracemalloc.get_traced_memory()[0] - before) / len(entries)
    finally:
        tracemalloc.stop()
    assert kept < 3000, kept
