"""Neighbourhoods across three real instances: join a remote neighbourhood (Join and
Follow), a member's post announced to the followers on a third instance with the member's
own proof intact, moderator removal reaching them, approval and invitation, a banned
member's posts not announced, and a report of a remote post forwarded as Flag."""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activitypub import keys
from activitypub.proofs import verify_object
from server.domain import membership, moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for


async def _remote(inst: Instance, ap_id: str) -> ActorRow:
    found: ActorRow | None = await federating(inst).remote.actor(ap_id)
    assert found is not None
    return found


async def _membership_state(inst: Instance, group_ap_id: str, member_ap_id: str) -> str | None:
    group = await actor_store.actor_by_ap_id(inst.pool, group_ap_id)
    member = await actor_store.actor_by_ap_id(inst.pool, member_ap_id)
    if group is None or member is None:
        return None
    row = await membership_store.membership(inst.pool, group.id, member.id)
    return row.state if row else None


async def _state_is(inst: Instance, group: str, member: str, state: str) -> bool:
    return await _membership_state(inst, group, member) == state


async def _object(inst: Instance, ap_id: str) -> object_store.ObjectRow | None:
    return await object_store.object_by_ap_id(inst.pool, ap_id)


async def _deleted(inst: Instance, ap_id: str) -> bool:
    row = await _object(inst, ap_id)
    return row is not None and row.deleted_at is not None


async def _announce_of(inst: Instance, object_ap_id: str) -> dict[str, Any] | None:
    value = await inst.pool.fetchval(
        """SELECT document FROM outgoing_activities WHERE document ->> 'type' = 'Announce'
           AND document -> 'object' -> 'object' ->> 'id' = $1""",
        object_ap_id,
    )
    return dict(value) if value is not None else None


async def test_join_post_announce_with_proof_and_moderator_removal(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    group = await create_neighbourhood(federating(a), "oosterpark", founder=anna, name="Oosterpark")

    # Bob joins with Join (Mobilizon style), Carol with Follow (Lemmy style).
    assert await membership.join(federating(b), bob, await _remote(b, group.ap_id), via="Join") == "pending"
    assert await membership.join(federating(c), carol, await _remote(c, group.ap_id), via="Follow") == "pending"
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))
    assert await wait_for(lambda: _state_is(c, group.ap_id, carol.ap_id, "accepted"))
    assert await _membership_state(a, group.ap_id, bob.ap_id) == "accepted"

    # Bob posts to the neighbourhood; Carol's instance gets it through the group's Announce.
    post = await post_to_neighbourhood(federating(b), bob, await _remote(b, group.ap_id), "Wie heeft mijn kat gezien?")
    on_c = await wait_for(lambda: _object(c, post.ap_id))
    assert on_c.attributed_to == bob.ap_id and "kat" in on_c.content
    group_on_c = await _remote(c, group.ap_id)

    async def recorded_in_group() -> bool:  # stored first, then recorded as the group's post
        return await neighbourhood_store.groups_of_object(c.pool, post.ap_id) == [group_on_c.id]

    assert await wait_for(recorded_in_group)

    # The Announce carries Bob's Create unchanged: its proof verifies with Bob's key.
    sent = await wait_for(lambda: _announce_of(a, post.ap_id))
    assert sent["actor"] == group.ap_id and sent["audience"] == group.ap_id
    inner = sent["object"]
    bob_key = next(k for k in await actor_store.keys_of_actor(b.pool, bob.id) if k.algorithm == "ed25519")
    public = keys.load_public_key(bob_key.public_pem)
    assert isinstance(public, Ed25519PublicKey)
    assert inner["actor"] == bob.ap_id and verify_object(inner, public).ok

    # Anna (moderator) removes it: Carol's and Bob's instances drop it.
    assert await moderation.remove_post(federating(a), anna, group, post.ap_id, "privacy")
    assert await wait_for(lambda: _deleted(c, post.ap_id))
    assert await wait_for(lambda: _deleted(b, post.ap_id))


async def test_approval_invitation_ban_and_forwarded_report(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    fed_a = federating(a)
    besloten = await create_neighbourhood(fed_a, "besloten", founder=anna, membership_mode="approval")
    uitnodiging = await create_neighbourhood(fed_a, "uitnodiging", founder=anna, membership_mode="invitation")

    # Approval: pending on both sides until Anna approves.
    await membership.join(federating(b), bob, await _remote(b, besloten.ap_id), via="Join")
    assert await wait_for(lambda: _state_is(a, besloten.ap_id, bob.ap_id, "pending"))
    assert await _membership_state(b, besloten.ap_id, bob.ap_id) == "pending"
    assert await membership.decide_pending(fed_a, anna, besloten, await _remote(a, bob.ap_id), approve=True)
    assert await wait_for(lambda: _state_is(b, besloten.ap_id, bob.ap_id, "accepted"))

    # Invitation: an uninvited Follow is rejected; after the Invite, Carol gets in.
    await membership.join(federating(c), carol, await _remote(c, uitnodiging.ap_id))
    assert await wait_for(lambda: _gone(c, uitnodiging.ap_id, carol.ap_id))
    assert await membership.invite(fed_a, anna, uitnodiging, await _remote(a, carol.ap_id)) == "invited"
    assert await wait_for(lambda: _state_is(c, uitnodiging.ap_id, carol.ap_id, "invited"))
    await membership.join(federating(c), carol, await _remote(c, uitnodiging.ap_id))
    assert await wait_for(lambda: _state_is(c, uitnodiging.ap_id, carol.ap_id, "accepted"))

    # Carol follows the approval group too (via Anna's approval), so she would see Bob's posts.
    await membership.join(federating(c), carol, await _remote(c, besloten.ap_id))
    assert await wait_for(lambda: _state_is(a, besloten.ap_id, carol.ap_id, "pending"))
    await membership.decide_pending(fed_a, anna, besloten, await _remote(a, carol.ap_id), approve=True)
    assert await wait_for(lambda: _state_is(c, besloten.ap_id, carol.ap_id, "accepted"))
    first = await post_to_neighbourhood(federating(b), bob, await _remote(b, besloten.ap_id), "eerste")
    assert await wait_for(lambda: _object(c, first.ap_id))

    # Carol reports Bob's post, forwarded: Bob's instance gets a Flag from C's instance actor.
    await moderation.report(federating(c), carol, [first.ap_id], "ongepast", forward=True)
    assert await wait_for(lambda: _report_on(b, first.ap_id))

    # Bob is banned: his next post reaches the group but is not announced.
    await moderation.remove_member(fed_a, anna, besloten, await _remote(a, bob.ap_id), ban=True)
    second = await post_to_neighbourhood(federating(b), bob, await _remote(b, besloten.ap_id), "tweede")
    assert await wait_for(lambda: _refused(a, second.ap_id))
    assert await _announce_of(a, second.ap_id) is None
    assert await _object(c, second.ap_id) is None


async def _gone(inst: Instance, group: str, member: str) -> bool:
    return await _membership_state(inst, group, member) is None


async def _report_on(inst: Instance, object_ap_id: str) -> bool:
    value = await inst.pool.fetchval("SELECT count(*) FROM reports WHERE $1 = ANY(target_ids)", object_ap_id)
    return bool(value)


async def _refused(inst: Instance, object_ap_id: str) -> bool:
    """The group logged that it refused to announce the post."""
    return any(
        e.target == object_ap_id and e.action == "post_refused" for e in await instance_policy.moderation_log(inst.pool)
    )
