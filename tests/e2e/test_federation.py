"""Three real instances on loopback federate: follow, post, reply, like, boost, edit,
delete, unfollow, block — every activity signed, delivered by the queue, verified."""

from __future__ import annotations

from server.domain import follows, posts
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from tests.harness import Instance, federating, wait_for


async def _follow_state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    if a is None or b is None:
        return None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def _object(inst: Instance, ap_id: str) -> object_store.ObjectRow | None:
    return await object_store.object_by_ap_id(inst.pool, ap_id)


async def test_follow_post_reply_like_edit_delete_across_three_instances(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")

    # Follow across instances; the neighbourhood accepts automatically.
    await follows.follow(federating(b), bob, buurt.ap_id)
    await follows.follow(federating(c), carol, buurt.ap_id)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, buurt.ap_id))
    assert await wait_for(lambda: _accepted(c, carol.ap_id, buurt.ap_id))
    assert await _follow_state(a, bob.ap_id, buurt.ap_id) == "accepted"

    # A post reaches every follower's instance.
    note = await posts.create_note(federating(a), buurt, "<p>Buurtfeest zaterdag!</p><script>x</script>")
    on_b = await wait_for(lambda: _object(b, note.ap_id))
    on_c = await wait_for(lambda: _object(c, note.ap_id))
    assert "Buurtfeest" in on_b.content and "<script>" not in on_b.content
    assert on_c.visibility == "public"

    # A reply from B threads on A (addressed to the author, who is mentioned).
    reply = await posts.create_note(federating(b), bob, "Ik kom!", in_reply_to=note.ap_id, mentions=[buurt.ap_id])
    on_a = await wait_for(lambda: _object(a, reply.ap_id))
    assert on_a.in_reply_to == note.ap_id

    # A like from C arrives at A.
    await posts.react(federating(c), carol, note.ap_id, "Like")
    assert await wait_for(lambda: _reaction(a, note.ap_id, "Like", carol.ap_id))

    # A boost from B arrives at A.
    await posts.react(federating(b), bob, note.ap_id, "Announce")
    assert await wait_for(lambda: _reaction(a, note.ap_id, "Announce", bob.ap_id))

    # An edit reaches B.
    await posts.edit_note(federating(a), buurt, note.ap_id, "<p>Buurtfeest zondag!</p>")
    assert await wait_for(lambda: _content_contains(b, note.ap_id, "zondag"))

    # A delete reaches every instance that had it.
    await posts.delete_note(federating(a), buurt, note.ap_id)
    assert await wait_for(lambda: _deleted(b, note.ap_id))
    assert await wait_for(lambda: _deleted(c, note.ap_id))

    # Unfollow: A forgets the follower.
    remote_buurt = await actor_store.actor_by_ap_id(c.pool, buurt.ap_id)
    assert remote_buurt is not None
    await follows.unfollow(federating(c), carol, remote_buurt)
    assert await wait_for(lambda: _gone_follow(a, carol.ap_id, buurt.ap_id))
    assert await _follow_state(a, bob.ap_id, buurt.ap_id) == "accepted"


async def test_block_ends_follows_and_is_told_to_the_other_server(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _ = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="westwijk")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    await follows.follow(federating(b), bob, buurt.ap_id)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, buurt.ap_id))
    remote_bob = await actor_store.actor_by_ap_id(a.pool, bob.ap_id)
    assert remote_bob is not None
    await follows.block(federating(a), buurt, remote_bob)
    assert await _follow_state(a, bob.ap_id, buurt.ap_id) is None
    assert await wait_for(lambda: _gone_follow(b, bob.ap_id, buurt.ap_id))


async def test_manually_approving_neighbourhood_keeps_follow_pending_until_approved(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _ = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="besloten", manually_approves=True)
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    await follows.follow(federating(b), bob, buurt.ap_id)
    assert await wait_for(lambda: _has_follow(a, bob.ap_id, buurt.ap_id))
    assert await _follow_state(a, bob.ap_id, buurt.ap_id) == "pending"
    assert await _follow_state(b, bob.ap_id, buurt.ap_id) == "pending"
    remote_bob = await actor_store.actor_by_ap_id(a.pool, bob.ap_id)
    assert remote_bob is not None
    assert await follows.approve_follow(federating(a), buurt, remote_bob)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, buurt.ap_id))


async def _accepted(inst: Instance, follower: str, followed: str) -> bool:
    return await _follow_state(inst, follower, followed) == "accepted"


async def _has_follow(inst: Instance, follower: str, followed: str) -> bool:
    return await _follow_state(inst, follower, followed) is not None


async def _gone_follow(inst: Instance, follower: str, followed: str) -> bool:
    return await _follow_state(inst, follower, followed) is None


async def _reaction(inst: Instance, object_id: str, kind: str, actor: str) -> bool:
    return (kind, actor) in await object_store.reactions_of(inst.pool, object_id)


async def _content_contains(inst: Instance, object_id: str, text: str) -> bool:
    row = await object_store.object_by_ap_id(inst.pool, object_id)
    return row is not None and text in row.content


async def _deleted(inst: Instance, object_id: str) -> bool:
    row = await object_store.object_by_ap_id(inst.pool, object_id)
    return row is not None and row.deleted_at is not None


async def test_key_rotation_is_followed_by_the_other_instance(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    from server.domain.keys import rotate_keys

    a, b, _ = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    await follows.follow(federating(b), bob, buurt.ap_id)
    assert await wait_for(lambda: _accepted(b, bob.ap_id, buurt.ap_id))
    old_keys = {k.key_id for k in await actor_store.keys_of_actor(b.pool, (await _remote(b, buurt.ap_id)).id)}

    new_key_id = await rotate_keys(federating(a), buurt)
    assert new_key_id not in old_keys

    async def b_has_new_key() -> bool:
        remote = await _remote(b, buurt.ap_id)
        return new_key_id in {k.key_id for k in await actor_store.keys_of_actor(b.pool, remote.id)}

    assert await wait_for(b_has_new_key)
    note = await posts.create_note(federating(a), buurt, "Na de sleutelwissel")
    assert await wait_for(lambda: _object(b, note.ap_id))
    remote = await _remote(b, buurt.ap_id)
    assert not old_keys & {k.key_id for k in await actor_store.keys_of_actor(b.pool, remote.id)}


async def _remote(inst: Instance, ap_id: str) -> actor_store.ActorRow:
    row = await actor_store.actor_by_ap_id(inst.pool, ap_id)
    assert row is not None
    return row
