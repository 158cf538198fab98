"""Follows from a *limited* domain, between real instances: a Follow of a resident or an
open neighbourhood that would be accepted at once waits as a follow request, which the
followed account approves (Accept reaches the follower's server) or refuses (Reject: the
follow is gone on both sides). A follow that existed before the limit stays, also when
the follower sends Follow again."""

from __future__ import annotations

from server.domain import follows, membership, moderation
from server.domain.actors import create_account, create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import notifications as notification_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for


async def _follow_state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    if a is None or b is None:
        return None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def _state_is(inst: Instance, follower: ActorRow, followed: ActorRow, state: str | None) -> bool:
    return await _follow_state(inst, follower.ap_id, followed.ap_id) == state


async def _stored(inst: Instance, ap_id: str) -> ActorRow:
    found = await actor_store.actor_by_ap_id(inst.pool, ap_id)
    assert found is not None
    return found


async def test_follows_from_a_limited_domain_wait_for_approval(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _ = three_instances
    fed_a, fed_b = federating(a), federating(b)
    admin = await create_account(
        a.pool, a.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    hood = await create_neighbourhood(fed_a, "oosterpark", founder=anna)  # open: accepts at once
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    cor = await create_local_actor(b.pool, b.settings, kind="Person", username="cor")
    dirk = await create_local_actor(b.pool, b.settings, kind="Person", username="dirk")

    await follows.follow(fed_b, dirk, anna.ap_id)  # before the limit: accepted at once
    assert await wait_for(lambda: _state_is(b, dirk, anna, "accepted"))
    await moderation.block_domain(fed_a, admin, b.settings.domain.split(":")[0], "limit")

    await follows.follow(fed_b, bob, anna.ap_id)
    await follows.follow(fed_b, cor, anna.ap_id)
    await follows.follow(fed_b, bob, hood.ap_id)
    for who, whom in ((bob, anna), (cor, anna), (bob, hood)):
        assert await wait_for(lambda who=who, whom=whom: _state_is(a, who, whom, "pending"))
        assert await _state_is(b, who, whom, "pending")
    kinds = {(n.kind, n.actor_ap_id) for n in await notification_store.notifications_for(a.pool, anna.id)}
    assert ("follow_request", bob.ap_id) in kinds and ("follow", bob.ap_id) not in kinds

    # The followed account decides, the usual way; the follower's server hears of it.
    assert await follows.approve_follow(fed_a, anna, await _stored(a, bob.ap_id))
    assert await wait_for(lambda: _state_is(b, bob, anna, "accepted"))
    assert await follows.refuse_follow(fed_a, anna, await _stored(a, cor.ap_id))
    assert await _state_is(a, cor, anna, None)
    assert await wait_for(lambda: _state_is(b, cor, anna, None))
    assert not await follows.refuse_follow(fed_a, anna, await _stored(a, bob.ap_id))  # accepted: not a request
    assert await membership.decide_pending(fed_a, anna, hood, await _stored(a, bob.ap_id), approve=True)
    assert await wait_for(lambda: _state_is(b, bob, hood, "accepted"))

    # The follow from before the limit stays, and a repeated Follow is accepted again.
    assert await _state_is(a, dirk, anna, "accepted")
    await follows.follow(fed_b, dirk, anna.ap_id)
    assert await wait_for(lambda: _state_is(b, dirk, anna, "accepted"))
    assert await _state_is(a, dirk, anna, "accepted")
