"""The home timeline: followed people and neighbourhoods, their boosts, posts addressed to
followed neighbourhoods; private posts only for those who may read them; keyset pages."""

from __future__ import annotations

from server.domain import posts
from server.domain.actors import create_local_actor
from server.domain.follows import follow
from server.domain.post_fields import PostOptions
from server.storage import threads
from server.storage.timelines import home_timeline
from tests.harness import Instance, federating


async def _ids(inst: Instance, viewer: int, **kwargs: int) -> list[str]:
    return [r.ap_id for r in await home_timeline(inst.pool, viewer, **kwargs)]


async def test_home_timeline_sources_and_visibility(instance: Instance) -> None:
    mk = instance.pool, instance.settings
    anna = await create_local_actor(*mk, kind="Person", username="anna")
    bob = await create_local_actor(*mk, kind="Person", username="bob")
    carol = await create_local_actor(*mk, kind="Person", username="carol")
    erik = await create_local_actor(*mk, kind="Person", username="erik")
    buurt = await create_local_actor(*mk, kind="Group", username="oost")
    fed = federating(instance)
    await follow(fed, anna, bob.ap_id)
    await follow(fed, anna, buurt.ap_id)

    own = await posts.create_note(fed, anna, "eigen post")
    public = await posts.create_note(fed, bob, "openbaar")
    followers_only = await posts.create_note(fed, bob, "volgers", visibility="followers")
    direct_to_carol = await posts.create_note(fed, bob, "dm", visibility="direct", mentions=[carol.ap_id])
    direct_to_anna = await posts.create_note(fed, bob, "dm anna", visibility="direct", mentions=[anna.ap_id])
    not_followed = await posts.create_note(fed, carol, "van carol")
    to_buurt = await posts.create_note(fed, carol, "voor de buurt", options=PostOptions(neighbourhood=buurt.ap_id))
    boosted = await posts.create_note(fed, erik, "geboost")
    await posts.react(fed, bob, boosted.ap_id, "Announce")
    deleted = await posts.create_note(fed, bob, "weg")
    await posts.delete_note(fed, bob, deleted.ap_id)

    got = await _ids(instance, anna.id)
    assert got == [boosted.ap_id, to_buurt.ap_id, direct_to_anna.ap_id, followers_only.ap_id, public.ap_id, own.ap_id]
    assert not {direct_to_carol.ap_id, not_followed.ap_id, deleted.ap_id} & set(got)
    # erik follows nobody: only his own post
    assert await _ids(instance, erik.id) == [boosted.ap_id]


async def test_pending_follow_shows_nothing_private(instance: Instance) -> None:
    mk = instance.pool, instance.settings
    anna = await create_local_actor(*mk, kind="Person", username="anna")
    besloten = await create_local_actor(*mk, kind="Person", username="besloten", manually_approves=True)
    fed = federating(instance)
    await follow(fed, anna, besloten.ap_id)  # pending
    await posts.create_note(fed, besloten, "volgers", visibility="followers")
    await posts.create_note(fed, besloten, "openbaar")
    assert await _ids(instance, anna.id) == []


async def test_keyset_pages_do_not_overlap(instance: Instance) -> None:
    mk = instance.pool, instance.settings
    anna = await create_local_actor(*mk, kind="Person", username="anna")
    bob = await create_local_actor(*mk, kind="Person", username="bob")
    fed = federating(instance)
    await follow(fed, anna, bob.ap_id)
    made = [(await posts.create_note(fed, bob, f"post {i}")).ap_id for i in range(25)]
    first = await home_timeline(instance.pool, anna.id, limit=10)
    second = await home_timeline(instance.pool, anna.id, limit=10, before=first[-1].id)
    third = await home_timeline(instance.pool, anna.id, limit=10, before=second[-1].id)
    pages = [r.ap_id for r in first + second + third]
    assert pages == list(reversed(made))
    assert await home_timeline(instance.pool, anna.id, limit=10, before=third[-1].id) == []


async def test_members_only_posts_for_accepted_members_only(instance: Instance) -> None:
    mk = instance.pool, instance.settings
    anna = await create_local_actor(*mk, kind="Person", username="anna")
    bob = await create_local_actor(*mk, kind="Person", username="bob")
    carol = await create_local_actor(*mk, kind="Person", username="carol")
    buurt = await create_local_actor(*mk, kind="Group", username="oost")
    fed = federating(instance)
    for member, state in ((bob, "accepted"), (carol, "pending")):
        await follow(fed, member, buurt.ap_id)
        await instance.pool.execute(
            "INSERT INTO memberships (group_id, member_id, state) VALUES ($1, $2, $3)", buurt.id, member.id, state
        )
    post = await posts.create_note(
        fed, anna, "alleen leden", visibility="members", options=PostOptions(neighbourhood=buurt.ap_id)
    )
    assert await _ids(instance, bob.id) == [post.ap_id]
    assert await _ids(instance, carol.id) == []
    assert [r.ap_id for r in await threads.thread_of(instance.pool, post.ap_id, bob.id)] == [post.ap_id]
    assert await threads.thread_of(instance.pool, post.ap_id, carol.id) == []
    assert await threads.thread_of(instance.pool, post.ap_id, None) == []
