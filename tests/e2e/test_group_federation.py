"""Neighbourhood federation across three real instances: a members-only post is announced to
the members' servers only (a plain follower's server never receives it), the group's outbox
lists its public Announces only, and removing a remote member (no ban) reaches the member's
server."""

from __future__ import annotations

from typing import Any

from server.domain import membership, moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import follows as follow_store
from server.storage import objects as object_store
from server.storage.moderation_views import visible_object
from tests.e2e.test_neighbourhoods import _announce_of, _membership_state, _object, _remote, _state_is
from tests.harness import Instance, federating, wait_for

MEMBERS_OF = "{}/members"


async def _deliveries_settled(inst: Instance, activity_ap_id: str) -> list[str] | None:
    """The inboxes an outgoing activity was queued for, once none is still queued."""
    rows = await inst.pool.fetch(
        """SELECT d.inbox_url, d.state FROM deliveries d JOIN outgoing_activities a ON a.id = d.activity_id
           WHERE a.ap_id = $1""",
        activity_ap_id,
    )
    if any(r["state"] == "queued" for r in rows):
        return None
    return [str(r["inbox_url"]) for r in rows]


async def _outbox_items(inst: Instance, actor_ap_id: str) -> list[dict[str, Any]]:
    headers = {"Accept": "application/activity+json"}
    async with inst.session.get(f"{actor_ap_id}/outbox", headers=headers) as resp:
        collection = await resp.json(content_type=None)
    async with inst.session.get(f"{actor_ap_id}/outbox?page=first", headers=headers) as resp:
        first = await resp.json(content_type=None)
    assert collection["totalItems"] == len(first["orderedItems"])
    items: list[dict[str, Any]] = first["orderedItems"]
    return items


async def test_members_only_post_reaches_members_only_and_the_outbox_lists_public_announces(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    group = await create_neighbourhood(federating(a), "oosterpark", founder=anna, name="Oosterpark")

    # Bob (on B) is a member. Carol (on C) is a plain follower: subscribed, not a member
    # (as an institution following the area is).
    assert await membership.join(federating(b), bob, await _remote(b, group.ap_id), via="Join") == "pending"
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))
    group_on_c = await _remote(c, group.ap_id)
    await follow_store.upsert_follow(c.pool, c.url("/activities/f1"), carol.id, group_on_c.id, "accepted")
    await follow_store.upsert_follow(
        a.pool, c.url("/activities/f1"), (await _remote(a, carol.ap_id)).id, group.id, "accepted"
    )
    assert await _membership_state(a, group.ap_id, carol.ap_id) is None

    # A public post is announced to both (Carol's server gets it) ...
    public = await post_to_neighbourhood(federating(a), anna, group, "Buurtfeest zaterdag!")
    assert await wait_for(lambda: _object(c, public.ap_id))
    # ... a members-only post by Anna, and one by Bob, reach members only.
    secret = await post_to_neighbourhood(federating(a), anna, group, "Sleutel ligt bij nr. 12", visibility="members")
    bobs = await post_to_neighbourhood(
        federating(b), bob, await _remote(b, group.ap_id), "Alleen voor leden", visibility="members"
    )
    on_b = await wait_for(lambda: _object(b, secret.ap_id))
    assert on_b.visibility == "members"
    assert await visible_object(b.pool, secret.ap_id, bob.id) is not None

    announced = await wait_for(lambda: _announce_of(a, secret.ap_id))
    assert announced["to"] == [MEMBERS_OF.format(group.ap_id)] and not announced["cc"]
    bobs_announce = await wait_for(lambda: _announce_of(a, bobs.ap_id))
    assert bobs_announce["to"] == [MEMBERS_OF.format(group.ap_id)]
    for activity in (announced, bobs_announce):
        inboxes = await wait_for(lambda activity=activity: _deliveries_settled(a, activity["id"]))
        assert not any(i.startswith(c.base_url) for i in inboxes)
    # Anna (on A, a member) can read Bob's members-only post; C never received either.
    assert await object_store.object_by_ap_id(a.pool, bobs.ap_id) is not None
    assert await visible_object(a.pool, bobs.ap_id, anna.id) is not None
    assert await _object(c, secret.ap_id) is None and await _object(c, bobs.ap_id) is None

    # The group's outbox lists the public Announce only.
    items = await _outbox_items(a, group.ap_id)
    assert [i["type"] for i in items] == ["Announce"]
    assert items[0]["object"]["object"]["id"] == public.ap_id
    async with a.session.get(announced["id"], headers={"Accept": "application/activity+json"}) as resp:
        assert resp.status == 404


async def test_removing_a_remote_member_reaches_the_members_server(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    group = await create_neighbourhood(federating(a), "oosterpark", founder=anna)
    await membership.join(federating(b), bob, await _remote(b, group.ap_id), via="Follow")
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))

    assert await moderation.remove_member(federating(a), anna, group, await _remote(a, bob.ap_id), reason="verhuisd")

    async def gone_on_b() -> bool:
        return await _membership_state(b, group.ap_id, bob.ap_id) is None

    assert await wait_for(gone_on_b)
    group_on_b = await _remote(b, group.ap_id)
    assert await follow_store.follow_state(b.pool, bob.id, group_on_b.id) is None
