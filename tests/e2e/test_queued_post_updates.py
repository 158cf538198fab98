"""A post changed while it waits for a moderator, across three real instances: bob (on B)
posts in A's moderated neighbourhood and edits the post before anna approves it; when she
does, carol on C, who follows the neighbourhood (not bob), gets the edited version — A
announces bob's Create and then his latest Update, both as B signed them."""

from __future__ import annotations

from server.domain import membership, moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import edit_note
from server.storage import neighbourhoods as neighbourhood_store
from tests.e2e.test_events import _follow
from tests.e2e.test_neighbourhood_updates import _content_on, _post_in_group_on
from tests.e2e.test_neighbourhoods import _remote, _state_is
from tests.harness import Instance, federating, wait_for


async def test_a_post_edited_while_queued_reaches_followers_in_its_new_version(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    group = await create_neighbourhood(
        federating(a), "oosterpark", founder=anna, name="Oosterpark", posting_mode="moderated"
    )
    group_on_b = await _remote(b, group.ap_id)
    assert await membership.join(federating(b), bob, group_on_b, via="Join") == "pending"
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))
    await _follow(c, carol, group.ap_id)  # carol follows the neighbourhood, not bob

    post = await post_to_neighbourhood(federating(b), bob, group_on_b, "Fiets gevonden")

    async def queued_on_a() -> bool:
        row = await neighbourhood_store.group_post(a.pool, group.id, post.ap_id)
        return row is not None and row.state == "queued"

    assert await wait_for(queued_on_a)
    await edit_note(federating(b), bob, post.ap_id, "<p>Fiets gevonden, blauw, bij de brug</p>")
    assert await wait_for(lambda: _content_on(a, post.ap_id, "<p>Fiets gevonden, blauw, bij de brug</p>"))

    async def update_kept_on_a() -> bool:
        row = await neighbourhood_store.group_post(a.pool, group.id, post.ap_id)
        return row is not None and row.queued_update is not None

    assert await wait_for(update_kept_on_a)
    assert not await _post_in_group_on(c, group.ap_id, post.ap_id)  # nothing before approval

    assert await moderation.decide_queued_post(federating(a), anna, group, post.ap_id, approve=True) == "announced"
    assert await wait_for(lambda: _post_in_group_on(c, group.ap_id, post.ap_id))
    assert await wait_for(lambda: _content_on(c, post.ap_id, "<p>Fiets gevonden, blauw, bij de brug</p>"))
