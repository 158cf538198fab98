"""Export a neighbourhood and import it under another domain: new ids, original dates and
visibility, a pointer from each object to its original id, alsoKnownAs, settings, members,
events with RSVPs and media; refusals leave nothing behind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.domain import follows, posts
from server.domain.actors import create_local_actor
from server.portability.archive import read_archive
from server.portability.export import export_neighbourhood, export_resident
from server.portability.import_ import ImportRefused, import_neighbourhood
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import portability as store
from tests.harness import Instance, federating

LIMIT = 64 * 1024 * 1024
OLD_DATE = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)


async def _neighbourhood_with_content(inst: Instance) -> dict[str, Any]:
    fed = federating(inst)
    buurt = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark", summary="Buurt")
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    await follows.follow(fed, anna, buurt.ap_id)
    first = await posts.create_note(fed, buurt, "<p>Eerste bericht</p>")
    reply = await posts.create_note(fed, buurt, "Antwoord", in_reply_to=first.ap_id)
    private = await posts.create_note(fed, buurt, "Alleen volgers", visibility="followers")
    await inst.pool.execute("UPDATE objects SET published_at = $2 WHERE ap_id = $1", first.ap_id, OLD_DATE)
    await inst.pool.execute(
        "UPDATE neighbourhoods SET area_name = 'Oost', membership_mode = 'approval' WHERE actor_id = $1", buurt.id
    )
    await inst.pool.execute(
        "INSERT INTO memberships (group_id, member_id, role, state) VALUES ($1, $2, 'moderator', 'accepted')",
        buurt.id,
        anna.id,
    )
    event_id = await inst.pool.fetchval(
        """INSERT INTO objects (ap_id, type, actor_id, attributed_to, visibility, is_local, content, document)
           VALUES ($1, 'Event', $2, $3, 'public', true, 'Buurtfeest', $4) RETURNING id""",
        inst.base_url + "/objects/feest",
        buurt.id,
        buurt.ap_id,
        {"id": inst.base_url + "/objects/feest", "type": "Event", "name": "Buurtfeest"},
    )
    await inst.pool.execute(
        "INSERT INTO events (object_id, name, starts_at) VALUES ($1, 'Buurtfeest', now())", event_id
    )
    await inst.pool.execute(
        "INSERT INTO event_attendees (event_id, actor_id, state) VALUES ($1, $2, 'going')", event_id, anna.id
    )
    media_dir = inst.settings.data_dir / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / "abc123.png").write_bytes(b"\x89PNG fake")
    await inst.pool.execute(
        """INSERT INTO media (file_name, owner_id, object_id, media_type, width, height, size_bytes, alt_text)
           VALUES ('abc123.png', $1, $2, 'image/png', 1, 1, 9, 'een plaatje')""",
        buurt.id,
        first.id,
    )
    return {"buurt": buurt, "anna": anna, "first": first, "reply": reply, "private": private}


async def _import_elsewhere(inst: Instance, tmp_domain: str = "new.example:8443", **kw: Any) -> Any:
    """Import the exported archive as if on another host (other domain, same database)."""
    data = await export_neighbourhood(inst.pool, inst.settings, "oosterpark")
    archive = read_archive(data, max_bytes=LIMIT)
    # File names of media are unique per host; this "other host" shares the database.
    await inst.pool.execute("DELETE FROM media")
    settings = inst.settings.with_overrides(domain=tmp_domain, data_dir=inst.settings.data_dir / "new")
    return archive, settings, await import_neighbourhood(inst.pool, settings, archive, **kw)


async def test_import_recreates_posts_with_dates_visibility_and_original_ids(instance: Instance) -> None:
    made = await _neighbourhood_with_content(instance)
    _, settings, result = await _import_elsewhere(instance, username="oosterpark-nieuw")
    new = result.actor
    assert new.ap_id.startswith(settings.base_url) and new.kind == "Group"
    assert new.also_known_as == (made["buurt"].ap_id,)
    assert new.summary == "Buurt"
    assert result.objects == 4

    first_new = await store.imported_as(instance.pool, made["first"].ap_id)
    assert first_new is not None and first_new.startswith(settings.base_url)
    row = await object_store.object_by_ap_id(instance.pool, first_new)
    assert row is not None and row.published_at == OLD_DATE and "Eerste bericht" in row.content
    assert row.document is not None and row.document["attributedTo"] == new.ap_id
    assert row.document["id"] == first_new

    reply_new = await store.imported_as(instance.pool, made["reply"].ap_id)
    reply_row = await object_store.object_by_ap_id(instance.pool, reply_new or "")
    assert reply_row is not None and reply_row.in_reply_to == first_new

    private_new = await store.imported_as(instance.pool, made["private"].ap_id)
    private_row = await object_store.object_by_ap_id(instance.pool, private_new or "")
    assert private_row is not None and private_row.visibility == "followers"
    assert private_row.document is not None and private_row.document["to"] == [new.ap_id + "/followers"]


async def test_import_recreates_settings_members_events_rsvps_and_media(instance: Instance) -> None:
    made = await _neighbourhood_with_content(instance)
    _, settings, result = await _import_elsewhere(instance, username="oosterpark-nieuw")
    new = result.actor
    row = await instance.pool.fetchrow(
        "SELECT area_name, membership_mode FROM neighbourhoods WHERE actor_id = $1", new.id
    )
    assert dict(row) == {"area_name": "Oost", "membership_mode": "approval"}
    role = await instance.pool.fetchval(
        "SELECT role FROM memberships WHERE group_id = $1 AND member_id = $2", new.id, made["anna"].id
    )
    assert role == "moderator"
    event_new = await store.imported_as(instance.pool, instance.base_url + "/objects/feest")
    attendees = await instance.pool.fetchval(
        """SELECT count(*) FROM event_attendees a JOIN objects o ON o.id = a.event_id
           WHERE o.ap_id = $1 AND a.state = 'going'""",
        event_new,
    )
    assert attendees == 1
    assert (settings.data_dir / "media" / "abc123.png").read_bytes() == b"\x89PNG fake"
    assert result.rows["media"] == 1 and result.media_files == 1


async def test_resident_archive_has_mastodon_csvs(instance: Instance) -> None:
    made = await _neighbourhood_with_content(instance)
    troll = await create_local_actor(instance.pool, instance.settings, kind="Person", username="troll")
    await follows.block(federating(instance), made["anna"], troll)
    archive = read_archive(await export_resident(instance.pool, instance.settings, "anna"), max_bytes=LIMIT)
    assert archive.manifest.kind == "resident"
    lines = archive.files["follows.csv"].decode().splitlines()
    assert lines[0] == "Account address,Show boosts,Notify on new posts,Languages"
    assert lines[1].startswith(f"oosterpark@{instance.settings.domain},")
    assert archive.files["blocks.csv"].decode() == f"troll@{instance.settings.domain}\n"
    rsvps = archive.json("tables/event_attendees.json")
    assert [r["state"] for r in rsvps] == ["going"]


async def test_resident_archive_is_not_a_neighbourhood(instance: Instance) -> None:
    await _neighbourhood_with_content(instance)
    archive = read_archive(await export_resident(instance.pool, instance.settings, "anna"), max_bytes=LIMIT)
    settings = instance.settings.with_overrides(domain="new.example")
    with pytest.raises(ImportRefused, match="resident"):
        await import_neighbourhood(instance.pool, settings, archive)


async def test_same_host_taken_name_and_second_import_are_refused(instance: Instance) -> None:
    await _neighbourhood_with_content(instance)
    archive = read_archive(await export_neighbourhood(instance.pool, instance.settings, "oosterpark"), max_bytes=LIMIT)
    with pytest.raises(ImportRefused, match="made on this host"):
        await import_neighbourhood(instance.pool, instance.settings, archive)
    elsewhere = instance.settings.with_overrides(domain="new.example", data_dir=instance.settings.data_dir / "n")
    with pytest.raises(ImportRefused, match="taken"):
        await import_neighbourhood(instance.pool, elsewhere, archive)
    await import_neighbourhood(instance.pool, elsewhere, archive, username="oost2")
    with pytest.raises(ImportRefused, match="imported here before"):
        await import_neighbourhood(instance.pool, elsewhere, archive, username="oost3")
    assert await actor_store.local_actor(instance.pool, "oost3") is None
