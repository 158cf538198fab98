"""A resident moves between real instances: anna's archive from A fills her new account
on B (profile, posts with their original dates and pointers to the original ids, media),
her follows are sent again as Follow and her blocks as Block; a Mastodon block list
imports. Bad input is refused with nothing half-imported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.appkeys import HTTP
from server.domain import follows
from server.domain.actors import create_local_actor
from server.portability.archive import read_archive
from server.portability.block_import import import_blocks
from server.portability.export import export_neighbourhood, export_resident
from server.portability.import_ import ImportRefused
from server.portability.resident_import import import_resident
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import moderation as moderation_store
from server.storage import objects as object_store
from server.storage import portability as portability_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.server.feed_data import plant_object

LIMIT = 1 << 26
LONG_AGO = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


async def _accepted(inst: Instance, follower: str, followed: str) -> bool:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    return a is not None and b is not None and await follow_store.follow_state(inst.pool, a.id, b.id) == "accepted"


async def _blocked_on(inst: Instance, blocker: str, blocked: str) -> bool:
    a = await actor_store.actor_by_ap_id(inst.pool, blocker)
    b = await actor_store.actor_by_ap_id(inst.pool, blocked)
    return a is not None and b is not None and await moderation_store.is_blocked_by(inst.pool, a.id, b.id)


async def _anna_on_a(a: Instance, buurt: ActorRow, mallory: ActorRow) -> ActorRow:
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna", name="Anna", summary="Hoi")
    await follows.follow(federating(a), anna, buurt.ap_id)
    assert await wait_for(lambda: _accepted(a, anna.ap_id, buurt.ap_id))
    mallory_on_a = await federating(a).remote.actor(mallory.ap_id)
    assert mallory_on_a is not None
    await follows.block(federating(a), anna, mallory_on_a)
    first = await plant_object(a, anna, content="<p>Mijn eerste bericht</p>", published_at=LONG_AGO)
    await plant_object(a, anna, content="<p>Alleen voor volgers</p>", visibility="followers")
    media_dir = a.settings.data_dir / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "anna1.png").write_bytes(b"\x89PNG anna")
    await a.pool.execute(
        """INSERT INTO media (file_name, owner_id, object_id, media_type, width, height, size_bytes, alt_text)
           VALUES ('anna1.png', $1, $2, 'image/png', 1, 1, 9, 'de buurt')""",
        anna.id,
        first.id,
    )
    return anna


async def test_resident_archive_fills_a_new_account_and_follows_again(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(c.pool, c.settings, kind="Group", username="oosterpark")
    mallory = await create_local_actor(c.pool, c.settings, kind="Person", username="mallory")
    anna = await _anna_on_a(a, buurt, mallory)
    archive = read_archive(await export_resident(a.pool, a.settings, "anna"), max_bytes=LIMIT)
    new = await create_local_actor(b.pool, b.settings, kind="Person", username="anna2")

    result = await import_resident(federating(b), archive, "anna2")

    assert result.failed == []
    assert result.followed == [buurt.ap_id] and result.blocked == [mallory.ap_id]
    imported = result.imported
    assert imported.objects == 2 and imported.media_files == 1 and imported.rows.get("media") == 1
    assert imported.actor.name == "Anna" and imported.actor.summary == "Hoi"
    assert anna.ap_id in imported.actor.also_known_as
    rows = await b.pool.fetch(
        """SELECT o.ap_id, o.visibility, o.published_at, o.content, i.original_ap_id FROM objects o
           JOIN imported_objects i ON i.object_id = o.id WHERE o.actor_id = $1 ORDER BY o.published_at""",
        new.id,
    )
    assert [r["visibility"] for r in rows] == ["public", "followers"]
    assert rows[0]["published_at"] == LONG_AGO and "Mijn eerste bericht" in rows[0]["content"]
    assert rows[0]["original_ap_id"].startswith(a.base_url) and rows[0]["ap_id"].startswith(b.base_url)
    assert await portability_store.imported_as(b.pool, rows[0]["original_ap_id"]) == rows[0]["ap_id"]
    assert (b.settings.data_dir / "media" / "anna1.png").read_bytes() == b"\x89PNG anna"
    # The follow was sent again and accepted by C; the block was sent too.
    assert await wait_for(lambda: _accepted(b, new.ap_id, buurt.ap_id))
    assert await wait_for(lambda: _accepted(c, new.ap_id, buurt.ap_id))
    assert await _blocked_on(b, new.ap_id, mallory.ap_id)
    # Nothing was sent for the imported posts: C has none of them.
    assert await object_store.object_by_ap_id(c.pool, rows[0]["ap_id"]) is None

    with pytest.raises(ImportRefused, match="imported here before"):
        await import_resident(federating(b), archive, "anna2")
    count = await b.pool.fetchval("SELECT count(*) FROM objects WHERE actor_id = $1", new.id)
    assert count == 2


async def test_resident_import_refuses_bad_input_and_writes_nothing(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _c = three_instances
    await create_local_actor(a.pool, a.settings, kind="Group", username="westwijk")
    await create_local_actor(a.pool, a.settings, kind="Person", username="bert")
    await create_local_actor(b.pool, b.settings, kind="Group", username="buurt")
    neighbourhood = read_archive(await export_neighbourhood(a.pool, a.settings, "westwijk"), max_bytes=LIMIT)
    resident = read_archive(await export_resident(a.pool, a.settings, "bert"), max_bytes=LIMIT)
    before = await b.pool.fetchval("SELECT count(*) FROM objects")
    with pytest.raises(ImportRefused, match="neighbourhood's archive"):
        await import_resident(federating(b), neighbourhood, "bert")
    with pytest.raises(ImportRefused, match="no resident called 'nobody'"):
        await import_resident(federating(b), resident, "nobody")
    with pytest.raises(ImportRefused, match="no resident called 'buurt'"):
        await import_resident(federating(b), resident, "buurt")
    with pytest.raises(ImportRefused, match="made on this host"):
        await import_resident(federating(a), resident, "bert")
    assert await b.pool.fetchval("SELECT count(*) FROM objects") == before
    assert await b.pool.fetchval("SELECT count(*) FROM actor_moves") == 0


async def test_mastodon_block_list_imports(three_instances: tuple[Instance, Instance, Instance]) -> None:
    a, b, c = three_instances
    lotte = await create_local_actor(b.pool, b.settings, kind="Person", username="lotte")
    spam = await create_local_actor(c.pool, c.settings, kind="Person", username="spam")
    troll = await create_local_actor(a.pool, a.settings, kind="Person", username="troll")
    await follows.follow(federating(c), spam, lotte.ap_id)
    assert await wait_for(lambda: _accepted(b, spam.ap_id, lotte.ap_id))
    csv_text = (
        f"spam@{c.settings.domain}\n"
        f"troll@{a.settings.domain}\n"
        f"niemand@{a.settings.domain}\n"
        f"lotte@{b.settings.domain}\n"
        "geen adres\n"
    )
    result = await import_blocks(federating(b), b.app[HTTP], lotte, csv_text)
    assert result.blocked == [f"spam@{c.settings.domain}", f"troll@{a.settings.domain}"]
    assert [reason for _, reason in result.failed] == [
        "not an account address: 'geen adres'",
        "no such account",
        "that is this account itself",
    ]
    assert await _blocked_on(b, lotte.ap_id, spam.ap_id) and await _blocked_on(b, lotte.ap_id, troll.ap_id)
    assert await wait_for(lambda: _follow_gone(c, spam.ap_id, lotte.ap_id))
    again = await import_blocks(federating(b), b.app[HTTP], lotte, f"spam@{c.settings.domain}\n")
    assert again.already == [f"spam@{c.settings.domain}"] and again.blocked == []


async def _follow_gone(inst: Instance, follower: str, followed: str) -> bool:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    assert a is not None and b is not None
    return await follow_store.follow_state(inst.pool, a.id, b.id) is None
