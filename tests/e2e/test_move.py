"""A neighbourhood moves between three real instances: on A with followers on B and C and
a member on A; exported from A, imported on B (the new host), moved. Afterwards nobody is
lost, C receives the new actor's posts, old URLs point to the new actor; a Move whose target
does not list the source in alsoKnownAs is ignored."""

from __future__ import annotations

from typing import Any

from server.appkeys import KEYRING
from server.domain import follows, posts
from server.domain.actors import create_local_actor
from server.domain.publish import new_activity_id, publish
from server.portability.archive import read_archive
from server.portability.export import export_neighbourhood
from server.portability.import_ import import_neighbourhood
from server.portability.move import MoveRefused, move_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from tests.harness import Instance, federating, wait_for

AS2 = {"Accept": "application/activity+json"}


async def _state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    if a is None or b is None:
        return None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def _accepted(inst: Instance, follower: str, followed: str) -> bool:
    return await _state(inst, follower, followed) == "accepted"


async def _followers(inst: Instance, ap_id: str) -> set[str]:
    actor = await actor_store.actor_by_ap_id(inst.pool, ap_id)
    assert actor is not None
    return {ap for _, ap in await follow_store.follower_ids(inst.pool, actor.id, 1000)}


async def test_neighbourhood_moves_with_all_its_followers(three_instances: tuple[Instance, Instance, Instance]) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    await follows.follow(federating(a), anna, buurt.ap_id)
    await follows.follow(federating(b), bob, buurt.ap_id)
    await follows.follow(federating(c), carol, buurt.ap_id)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, buurt.ap_id))
    assert await wait_for(lambda: _accepted(c, carol.ap_id, buurt.ap_id))
    await posts.create_note(federating(a), buurt, "<p>Van voor de verhuizing</p>")
    before = await _followers(a, buurt.ap_id)
    assert before == {anna.ap_id, bob.ap_id, carol.ap_id}

    archive = read_archive(await export_neighbourhood(a.pool, a.settings, "oosterpark"), max_bytes=1 << 26)
    imported = await import_neighbourhood(b.pool, b.settings, archive)
    new = imported.actor
    assert new.also_known_as == (buurt.ap_id,)

    result = await move_actor(federating(a), buurt, new.ap_id)
    assert result.invited == 1

    # Every follower now follows the new actor on B, and the old one no longer.
    for inst, follower in ((b, bob), (c, carol), (a, anna)):
        assert await wait_for(lambda inst=inst, follower=follower: _accepted(inst, follower.ap_id, new.ap_id))
    assert await wait_for(lambda: _no_followers_left(a, buurt.ap_id))
    assert await _followers(b, new.ap_id) == before

    # C receives new posts from the new address.
    note = await posts.create_note(federating(b), new, "<p>Vanaf het nieuwe adres</p>")
    on_c = await wait_for(lambda: object_store.object_by_ap_id(c.pool, note.ap_id))
    assert on_c.attributed_to == new.ap_id

    # Old URLs point to the new actor.
    async with a.session.get(buurt.ap_id, headers=AS2) as response:
        assert (await response.json(content_type=None))["movedTo"] == new.ap_id
    async with a.session.get(a.url("/@oosterpark"), allow_redirects=False) as response:
        assert response.status == 302 and response.headers["Location"] == new.ap_id
    moved_on_c = await actor_store.actor_by_ap_id(c.pool, buurt.ap_id)
    assert moved_on_c is not None and moved_on_c.moved_to == new.ap_id

    # The member on A was invited (a notification naming the new actor), and a notice is left.
    invited = await a.pool.fetchval(
        "SELECT object_ap_id FROM notifications WHERE recipient_id = $1 AND kind = 'moved'", anna.id
    )
    assert invited == new.ap_id
    notice = await object_store.object_by_ap_id(a.pool, result.notice_id)
    assert notice is not None and f"@oosterpark@{b.settings.domain}" in notice.content
    assert notice.visibility == "public"


async def _no_followers_left(inst: Instance, ap_id: str) -> bool:
    return not await _followers(inst, ap_id)


async def test_move_to_a_target_without_alias_is_refused_and_ignored(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    west = await create_local_actor(a.pool, a.settings, kind="Group", username="westwijk")
    stranger = await create_local_actor(b.pool, b.settings, kind="Group", username="vreemd")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    await follows.follow(federating(c), carol, west.ap_id)
    assert await wait_for(lambda: _accepted(c, carol.ap_id, west.ap_id))

    refused = None
    try:
        await move_actor(federating(a), west, stranger.ap_id)
    except MoveRefused as exc:
        refused = str(exc)
    assert refused is not None and "alsoKnownAs" in refused

    # Sent anyway (as a hostile or mistaken server would): C ignores it.
    move: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": new_activity_id(a.settings),
        "type": "Move",
        "actor": west.ap_id,
        "object": west.ap_id,
        "target": stranger.ap_id,
    }
    carol_on_a = await actor_store.actor_by_ap_id(a.pool, carol.ap_id)
    assert carol_on_a is not None
    async with a.pool.acquire() as conn, conn.transaction():
        await publish(conn, a.settings, a.app[KEYRING], west, move, inboxes=[carol_on_a.delivery_inbox])
    assert await wait_for(lambda: _processed(c, move["id"]))
    assert await _state(c, carol.ap_id, west.ap_id) == "accepted"
    assert await _state(c, carol.ap_id, stranger.ap_id) is None
    west_on_c = await actor_store.actor_by_ap_id(c.pool, west.ap_id)
    assert west_on_c is not None and west_on_c.moved_to is None


async def _processed(inst: Instance, activity_id: str) -> bool:
    state = await inst.pool.fetchval("SELECT state FROM inbox_items WHERE activity_id = $1", activity_id)
    return state in ("done", "ignored", "failed")


async def test_resident_moves_in_and_imports_their_follow_export(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    """A resident comes to B from C (standing in for a Mastodon server): B's account lists
    the old one in alsoKnownAs, C's Move brings the follower on A along, and the Mastodon
    follow export imports through WebFinger (unknown addresses reported, not fatal)."""
    from server.appkeys import HTTP
    from server.portability.follow_import import import_follows
    from server.portability.move import add_also_known_as

    a, b, c = three_instances
    old = await create_local_actor(c.pool, c.settings, kind="Person", username="lotte")
    new = await create_local_actor(b.pool, b.settings, kind="Person", username="lotte")
    fan = await create_local_actor(a.pool, a.settings, kind="Person", username="fan")
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    await follows.follow(federating(a), fan, old.ap_id)
    assert await wait_for(lambda: _accepted(a, fan.ap_id, old.ap_id))

    assert await add_also_known_as(federating(b), new, old.ap_id) == (old.ap_id,)
    new = await actor_store.actor_by_ap_id(b.pool, new.ap_id)
    assert new is not None
    await move_actor(federating(c), old, new.ap_id)
    assert await wait_for(lambda: _accepted(a, fan.ap_id, new.ap_id))

    csv_text = (
        "Account address,Show boosts,Notify on new posts,Languages\n"
        f"oosterpark@{a.settings.domain},true,false,\n"
        f"niemand@{a.settings.domain},true,false,\n"
        "not an address\n"
    )
    result = await import_follows(federating(b), b.app[HTTP], new, csv_text)
    assert result.followed == [f"oosterpark@{a.settings.domain}"]
    assert [reason for _, reason in result.failed] == ["not an account address: 'not an address'", "no such account"]
    assert await wait_for(lambda: _accepted(b, new.ap_id, buurt.ap_id))
