"""Remote actors that share a handle (an http and an https id of one account) both store;
local handles stay unique."""

from __future__ import annotations

import asyncpg
import pytest

from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from tests.harness import Instance


def remote(ap_id: str) -> dict[str, object]:
    return {"ap_id": ap_id, "kind": "Person", "is_local": False, "username": "anna",
            "domain": "buurt.example", "inbox_url": ap_id + "/inbox"}  # fmt: skip


async def test_two_remote_ids_with_one_handle_both_store(instance: Instance) -> None:
    first = await actor_store.upsert_remote_actor(instance.pool, remote("http://buurt.example/u/anna"))
    second = await actor_store.upsert_remote_actor(instance.pool, remote("https://buurt.example/u/anna"))
    assert first.id != second.id
    found = await actor_store.actor_by_handle(instance.pool, "Anna", "buurt.example")
    assert found is not None and found.username == "anna"


async def test_local_handles_stay_unique(instance: Instance) -> None:
    made = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bram")
    with pytest.raises(asyncpg.UniqueViolationError):
        fields = {**remote(made.ap_id + "-2"), "is_local": True, "username": "BRAM", "domain": instance.settings.domain}
        await actor_store.insert_actor(instance.pool, fields)


def test_the_actor_columns_are_the_actor_row_fields_in_order() -> None:
    from dataclasses import fields

    columns = [name.strip() for name in actor_store._ACTOR_COLUMNS.split(",")]
    assert columns == [field.name for field in fields(actor_store.ActorRow)]


async def test_the_document_lookup_returns_actor_keys_and_area_in_one_query(instance: Instance) -> None:
    group = await create_local_actor(instance.pool, instance.settings, kind="Group", username="Oosterpark")
    person = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ann")
    await instance.pool.execute("UPDATE neighbourhoods SET area_name = 'Oost' WHERE actor_id = $1", group.id)
    await instance.pool.execute(
        "UPDATE actors SET also_known_as = ARRAY['https://old.example/a'] WHERE id = $1", person.id
    )
    found = await actor_store.local_actors_for_document(instance.pool, ["OOSTERPARK", "ann", "nobody"])
    assert set(found) == {"oosterpark", "ann"}
    actor, keys, area, _ = found["oosterpark"]
    assert (actor.id, actor.kind, area) == (group.id, "Group", "Oost")
    assert actor == await actor_store.actor_by_id(instance.pool, group.id)
    assert {k.algorithm for k in keys} >= {"rsa"} and all(k.public_pem for k in keys)
    resident, _, resident_area, boundary = found["ann"]
    assert (resident_area, boundary) == ("", None)
    assert resident.also_known_as == ("https://old.example/a",)
