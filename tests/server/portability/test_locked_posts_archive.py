"""Thread locks travel with a neighbourhood's archive: `tables/locked_posts.json` holds the
group's locks, and an import recreates them for the new actor — a lock on the group's own
post points at the post's new id, a lock on a member's post keeps the member's id."""

from __future__ import annotations

from server.domain import posts
from server.portability.archive import read_archive
from server.portability.export import export_neighbourhood
from server.portability.import_ import import_neighbourhood
from server.storage import group_federation as group_store
from server.storage import portability as store
from tests.harness import Instance, federating
from tests.server.portability.test_import import LIMIT, _neighbourhood_with_content


async def test_locks_are_exported_and_imported_with_new_ids(instance: Instance) -> None:
    made = await _neighbourhood_with_content(instance)
    buurt, anna, first = made["buurt"], made["anna"], made["first"]
    members_post = await posts.create_note(federating(instance), anna, "Van een lid", extra_cc=[buurt.ap_id])
    await group_store.lock_post(instance.pool, first.ap_id, buurt.id, anna.ap_id, instance.base_url + "/act/1")
    await group_store.lock_post(instance.pool, members_post.ap_id, buurt.id, anna.ap_id, None)

    data = await export_neighbourhood(instance.pool, instance.settings, "oosterpark")
    archive = read_archive(data, max_bytes=LIMIT)
    exported = archive.json("tables/locked_posts.json")
    assert sorted(r["object_ap_id"] for r in exported) == sorted([first.ap_id, members_post.ap_id])
    assert all(r["group_id@ap_id"] == buurt.ap_id for r in exported)

    # as on another host: the old host's rows are not here
    await instance.pool.execute("DELETE FROM media")
    await instance.pool.execute("DELETE FROM locked_posts")
    settings = instance.settings.with_overrides(domain="new.example:8443", data_dir=instance.settings.data_dir / "n")
    result = await import_neighbourhood(instance.pool, settings, archive, username="oosterpark-nieuw")
    assert result.rows["locked_posts"] == 2

    first_new = await store.imported_as(instance.pool, first.ap_id)
    rows = await instance.pool.fetch("SELECT object_ap_id, group_id, locked_by FROM locked_posts ORDER BY object_ap_id")
    assert {(r["object_ap_id"], r["group_id"], r["locked_by"]) for r in rows} == {
        (first_new, result.actor.id, anna.ap_id),
        (members_post.ap_id, result.actor.id, anna.ap_id),
    }
    assert await group_store.is_locked(instance.pool, first_new or "")
