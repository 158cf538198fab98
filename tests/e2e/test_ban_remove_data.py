"""A ban with "also remove their posts" across two real instances: a moderator on A bans a
member on B from the manage page with the checkbox ticked; A removes the member's posts in
the neighbourhood (logged, each as a moderator's removal) and B receives the group's Block
with Lemmy's `removeData: true` and removes its copies of those posts in A's group (the
member's own posts on B: tombstoned, marked removed in the group). Another member's post
and the banned member's post outside the group stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.domain import membership, posts
from server.domain.group_posts import post_to_neighbourhood
from server.storage import actors as actor_store
from server.storage import neighbourhoods as neighbourhood_store
from tests.e2e.test_neighbourhoods import _deleted, _object, _remote, _state_is
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in

MANAGE = "/neighbourhoods/oost/manage"


@pytest.fixture
async def two_instances(
    database_server: str, template_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    async with (
        running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path / "a") as a,
        running_instance(database_server, template_database, PEER_ADDRESSES[1], tmp_path / "b") as b,
    ):
        yield a, b


async def _post_state(inst: Instance, group_ap_id: str, object_ap_id: str) -> str | None:
    group = await actor_store.actor_by_ap_id(inst.pool, group_ap_id)
    assert group is not None
    post = await neighbourhood_store.group_post(inst.pool, group.id, object_ap_id)
    return post.state if post is not None else None


async def _sent_block(inst: Instance, member_ap_id: str) -> dict[str, Any] | None:
    row = await inst.pool.fetchval(
        """SELECT document FROM outgoing_activities WHERE document->>'type' = 'Block'
              AND document->>'object' = $1 ORDER BY id DESC LIMIT 1""",
        member_ap_id,
    )
    return dict(row) if row is not None else None


async def test_a_ban_with_remove_data_removes_the_posts_on_both_servers(
    two_instances: tuple[Instance, Instance],
) -> None:
    a, b = two_instances
    async with signed_in(a, "beheer", admin=True) as moderator:
        assert (await create_hood(moderator, "oost"))[0] == 200
        group = await actor(a, "oost")
        beheer = await actor(a, "beheer")
        async with signed_in(b, "rita"):
            rita = await actor(b, "rita")
        group_on_b = await _remote(b, group.ap_id)
        await membership.join(federating(b), rita, group_on_b)
        assert await wait_for(lambda: _state_is(b, group.ap_id, rita.ap_id, "accepted"))

        spam = [await post_to_neighbourhood(federating(b), rita, group_on_b, f"Koop nu! {i}") for i in range(2)]
        elsewhere = await posts.create_note(federating(b), rita, "Gewoon een bericht op mijn profiel")
        kept = await post_to_neighbourhood(federating(a), beheer, group, "Buurtfeest zaterdag")
        for post in spam:
            assert await wait_for(lambda post=post: _state_is_post(a, group.ap_id, post.ap_id, "announced"))
            assert await wait_for(lambda post=post: _state_is_post(b, group.ap_id, post.ap_id, "announced"))
        assert await wait_for(lambda: _object(b, kept.ap_id))

        # the manage page offers the checkbox, with its label, in each Ban form
        _, page = await moderator.get(MANAGE)
        assert 'name="remove_data"' in page and "Also remove their posts in this neighbourhood" in page
        status, _, _ = await moderator.submit(
            MANAGE + "/remove",
            {"member": rita.ap_id, "ban": "1", "remove_data": "1", "reason": "reclame"},
            from_page=MANAGE,
        )
        assert status == 200

        # A: banned, the posts removed, each logged as a moderator's removal
        assert await wait_for(lambda: _state_is(a, group.ap_id, rita.ap_id, "banned"))
        for post in spam:
            assert await _post_state(a, group.ap_id, post.ap_id) == "removed"
            assert await _deleted(a, post.ap_id)
        logged = await a.pool.fetch("SELECT target, reason FROM moderation_log WHERE action = 'remove_post'")
        assert sorted(r["target"] for r in logged) == sorted(p.ap_id for p in spam)
        assert {r["reason"] for r in logged} == {"reclame"}
        assert await _post_state(a, group.ap_id, kept.ap_id) == "announced"

        # B gets the group's Block with removeData, and removes its copies in A's group
        block = await _sent_block(a, rita.ap_id)
        assert block is not None and block["actor"] == group.ap_id and block["removeData"] is True
        for post in spam:
            assert await wait_for(lambda post=post: _state_is_post(b, group.ap_id, post.ap_id, "removed"))
            assert await _deleted(b, post.ap_id)
        assert await _post_state(b, group.ap_id, kept.ap_id) == "announced"
        on_b = await _object(b, elsewhere.ap_id)
        assert on_b is not None and on_b.deleted_at is None
        assert await b.pool.fetchval(
            "SELECT 1 FROM actor_blocks WHERE blocker_id = $1 AND blocked_id = $2", group_on_b.id, rita.id
        )


async def _state_is_post(inst: Instance, group_ap_id: str, object_ap_id: str, state: str) -> bool:
    return await _post_state(inst, group_ap_id, object_ap_id) == state
