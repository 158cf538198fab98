"""After a neighbourhood moved: its old address pins the "we moved" notice in `featured`
(for servers that do not act on a Move), and a second Move of the same actor within 7 days
is ignored by the receiving server (like Mastodon and GoToSocial)."""

from __future__ import annotations

from typing import Any

from server.appkeys import KEYRING
from server.domain import follows
from server.domain.actors import create_local_actor
from server.domain.publish import new_activity_id, publish
from server.portability.move import move_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import portability as portability_store
from tests.harness import Instance, federating, wait_for

AS2 = {"Accept": "application/activity+json"}


async def _state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    if a is None or b is None:
        return None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def _processed(inst: Instance, activity_id: str) -> str | None:
    state = await inst.pool.fetchval("SELECT state FROM inbox_items WHERE activity_id = $1", activity_id)
    return state if state in ("done", "ignored", "failed") else None


async def test_moved_neighbourhood_pins_its_notice_and_moves_once_a_week(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    west = await create_local_actor(a.pool, a.settings, kind="Group", username="westwijk")
    first = await create_local_actor(b.pool, b.settings, kind="Group", username="westwijk")
    second = await create_local_actor(b.pool, b.settings, kind="Group", username="westwijk2")
    for target in (first, second):
        await portability_store.set_also_known_as(b.pool, target.id, [west.ap_id])
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    dave = await create_local_actor(c.pool, c.settings, kind="Person", username="dave")
    await follows.follow(federating(c), carol, west.ap_id)
    assert await wait_for(lambda: _is_accepted(c, carol.ap_id, west.ap_id))

    async with a.session.get(a.url("/actors/westwijk/featured"), headers=AS2) as response:
        assert (await response.json(content_type=None))["totalItems"] == 0

    result = await move_actor(federating(a), west, first.ap_id)
    assert await wait_for(lambda: _is_accepted(c, carol.ap_id, first.ap_id))

    async with a.session.get(a.url("/actors/westwijk/featured"), headers=AS2) as response:
        featured = await response.json(content_type=None)
    assert featured["totalItems"] == 1
    (notice,) = featured["orderedItems"]
    assert notice["id"] == result.notice_id and notice["type"] == "Note"
    assert f"@westwijk@{b.settings.domain}" in notice["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" in notice["to"] + notice.get("cc", [])

    # dave (on C) still follows the old actor; a second Move, to another target that lists
    # it too, arrives within 7 days: C ignores it, dave stays, movedTo stays the first target.
    west_on_c = await actor_store.actor_by_ap_id(c.pool, west.ap_id)
    assert west_on_c is not None and west_on_c.moved_to == first.ap_id
    await follow_store.upsert_follow(c.pool, c.url("/follows/dave"), dave.id, west_on_c.id, "accepted")
    moved_west = await actor_store.actor_by_id(a.pool, west.id)
    dave_on_a = await federating(a).remote.actor(dave.ap_id)
    assert moved_west is not None and dave_on_a is not None
    move: dict[str, Any] = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": new_activity_id(a.settings),
        "type": "Move",
        "actor": west.ap_id,
        "object": west.ap_id,
        "target": second.ap_id,
    }
    async with a.pool.acquire() as conn, conn.transaction():
        await publish(conn, a.settings, a.app[KEYRING], moved_west, move, inboxes=[dave_on_a.delivery_inbox])
    assert await wait_for(lambda: _processed(c, move["id"])) == "ignored"
    assert await _state(c, dave.ap_id, west.ap_id) == "accepted"
    assert await _state(c, dave.ap_id, second.ap_id) is None
    west_on_c = await actor_store.actor_by_ap_id(c.pool, west.ap_id)
    assert west_on_c is not None and west_on_c.moved_to == first.ap_id


async def _is_accepted(inst: Instance, follower: str, followed: str) -> bool:
    return await _state(inst, follower, followed) == "accepted"
