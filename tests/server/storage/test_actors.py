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
    versions = await actor_store.local_actor_versions(instance.pool, ["OOSTERPARK", "ann", "nobody"])
    assert {name: actor_id for name, (actor_id, _) in versions.items()} == {"oosterpark": group.id, "ann": person.id}
    found = await actor_store.local_actors_for_document(instance.pool, [group.id, person.id, -1])
    assert set(found) == {group.id, person.id}
    row = found[group.id]
    assert (row.actor.id, row.actor.kind, row.area_name) == (group.id, "Group", "Oost")
    assert row.version == versions["oosterpark"][1]
    assert row.actor == await actor_store.actor_by_id(instance.pool, group.id)
    assert {k.algorithm for k in row.keys} >= {"rsa"} and all(k.public_pem for k in row.keys)
    resident = found[person.id]
    assert (resident.area_name, resident.boundary_json) == ("", None)
    assert resident.actor.also_known_as == ("https://old.example/a",)


async def version_of(instance: Instance, name: str) -> int:
    return (await actor_store.local_actor_versions(instance.pool, [name]))[name][1]


async def test_every_part_of_a_document_changes_its_version(instance: Instance) -> None:
    """The stamp the document cache trusts moves with the actor row, its keys and its
    neighbourhood's area (migration 0018), and only forward."""
    group = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    pool = instance.pool
    seen = [await version_of(instance, "oost")]
    changes = [
        ("UPDATE actors SET name = 'Oost!' WHERE id = $1", group.id),
        ("UPDATE neighbourhoods SET area_name = 'Oost' WHERE actor_id = $1", group.id),
        ("""UPDATE neighbourhoods SET boundary = '{"type": "Polygon", "coordinates":
            [[[4.9, 52.3], [4.95, 52.3], [4.95, 52.35], [4.9, 52.3]]]}'::jsonb WHERE actor_id = $1""", group.id),
        ("INSERT INTO actor_keys (key_id, actor_id, algorithm, public_pem) VALUES ($1 || '#extra', $2, 'rsa', 'x')",
         group.ap_id, group.id),
        ("UPDATE actor_keys SET public_pem = 'y' WHERE key_id = $1 || '#extra'", group.ap_id),
        ("DELETE FROM actor_keys WHERE key_id = $1 || '#extra'", group.ap_id),
    ]  # fmt: skip
    for statement, *args in changes:
        await pool.execute(statement, *args)
        seen.append(await version_of(instance, "oost"))
        assert seen[-1] > seen[-2], statement
    # a neighbourhood setting that is not in the document leaves the version alone
    await pool.execute("UPDATE neighbourhoods SET posting_mode = 'open' WHERE actor_id = $1", group.id)
    assert await version_of(instance, "oost") == seen[-1]


async def test_remote_actors_change_without_stamps(instance: Instance) -> None:
    made = await actor_store.upsert_remote_actor(instance.pool, remote("https://buurt.example/u/anna"))
    before = await instance.pool.fetchval("SELECT document_version FROM actors WHERE id = $1", made.id)
    await instance.pool.execute("UPDATE actors SET name = 'Anna' WHERE id = $1", made.id)
    await instance.pool.execute(
        "INSERT INTO actor_keys (key_id, actor_id, algorithm, public_pem) VALUES ($1, $2, 'rsa', 'x')",
        made.ap_id + "#main-key",
        made.id,
    )
    after = await instance.pool.fetchval("SELECT document_version FROM actors WHERE id = $1", made.id)
    assert after == before
