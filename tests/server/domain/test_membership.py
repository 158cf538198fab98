"""Membership of local neighbourhoods for local residents: modes, roles, bans, profile."""

from __future__ import annotations

import pytest

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import InvalidProfile, create_neighbourhood, update_profile, validate_boundary
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating

SQUARE = {"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.95, 52.3], [4.95, 52.35], [4.9, 52.3]]]}


async def _person(inst: Instance, name: str) -> ActorRow:
    return await create_local_actor(inst.pool, inst.settings, kind="Person", username=name)


async def _state(inst: Instance, group: ActorRow, member: ActorRow) -> str | None:
    row = await membership_store.membership(inst.pool, group.id, member.id)
    return row.state if row else None


@pytest.mark.parametrize(
    "boundary",
    [
        {"type": "Point", "coordinates": [4.9, 52.3]},
        {"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.95, 52.3], [4.9, 52.3]]]},  # too few points
        {"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.95, 52.3], [4.95, 52.35], [4.9, 52.31]]]},  # open
        {"type": "Polygon", "coordinates": [[[400, 52.3], [4.95, 52.3], [4.95, 52.35], [400, 52.3]]]},
        {"type": "Polygon", "coordinates": [[["a", 52.3], [4.95, 52.3], [4.95, 52.35], ["a", 52.3]]]},
        {"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0]] * 20_001]]},
        "not even an object",
    ],
)
def test_bad_boundaries_are_refused_with_a_reason(boundary: object) -> None:
    with pytest.raises(InvalidProfile):
        validate_boundary(boundary)


def test_a_polygon_and_a_multipolygon_are_accepted() -> None:
    assert validate_boundary(SQUARE) == SQUARE
    multi = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}
    assert validate_boundary(multi) == multi


async def test_founder_is_admin_and_profile_is_stored_and_shown(instance: Instance) -> None:
    fed = federating(instance)
    anna = await _person(instance, "anna")
    group = await create_neighbourhood(
        fed, "oost", founder=anna, name="Oost", description="De buurt", area_name="Oost", boundary=SQUARE
    )
    assert group.summary == "De buurt" and group.name == "Oost"
    hood = await neighbourhood_store.neighbourhood_by_actor_id(instance.pool, group.id)
    assert hood is not None and hood.boundary == SQUARE and hood.area_name == "Oost"
    assert await membership_store.moderator_ids(instance.pool, group.id) == [anna.ap_id]
    await update_profile(fed, anna, group, avatar_url="https://example.org/a.png", membership_mode="approval")
    refreshed = await actor_store.actor_by_id(instance.pool, group.id)
    assert refreshed is not None and refreshed.icon_url == "https://example.org/a.png" and refreshed.manually_approves
    async with instance.session.get(group.ap_id, headers={"Accept": "application/activity+json"}) as resp:
        document = await resp.json(content_type=None)
    assert document["attributedTo"] == group.ap_id + "/moderators"
    async with instance.session.get(document["attributedTo"]) as resp:
        assert (await resp.json(content_type=None))["orderedItems"] == [anna.ap_id]


async def test_non_moderator_cannot_edit_the_profile(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "oost", founder=anna)
    with pytest.raises(membership.NotAllowed):
        await update_profile(fed, bert, group, description="overgenomen")
    with pytest.raises(InvalidProfile):
        await update_profile(fed, anna, group, avatar_url="javascript:alert(1)")


async def test_open_neighbourhood_makes_a_member_and_a_follower(instance: Instance) -> None:
    fed = federating(instance)
    group = await create_neighbourhood(fed, "open")
    bert = await _person(instance, "bert")
    assert await membership.join(fed, bert, group) == "accepted"
    assert await follow_store.follow_state(instance.pool, bert.id, group.id) == "accepted"
    assert await membership.leave(fed, bert, group)
    assert await _state(instance, group, bert) is None
    assert await follow_store.follow_state(instance.pool, bert.id, group.id) is None


async def test_approval_mode_waits_for_a_moderator(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert, cas = [await _person(instance, n) for n in ("anna", "bert", "cas")]
    group = await create_neighbourhood(fed, "besloten", founder=anna, membership_mode="approval")
    assert await membership.join(fed, bert, group) == "pending"
    with pytest.raises(membership.NotAllowed):
        await membership.decide_pending(fed, cas, group, bert, approve=True)
    assert await _state(instance, group, bert) == "pending"
    assert await membership.decide_pending(fed, anna, group, bert, approve=True)
    assert await _state(instance, group, bert) == "accepted"
    assert await follow_store.follow_state(instance.pool, bert.id, group.id) == "accepted"


async def test_invitation_mode_accepts_only_the_invited(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert, cas = [await _person(instance, n) for n in ("anna", "bert", "cas")]
    group = await create_neighbourhood(fed, "uitnodiging", founder=anna, membership_mode="invitation")
    assert await membership.join(fed, bert, group) == "rejected"
    assert await membership.invite(fed, anna, group, cas) == "invited"
    assert await membership.join(fed, cas, group) == "accepted"


async def test_banned_member_cannot_rejoin_or_post(instance: Instance) -> None:
    from server.domain.moderation import remove_member

    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "streng", founder=anna)
    await membership.join(fed, bert, group)
    assert await remove_member(fed, anna, group, bert, ban=True)
    assert await _state(instance, group, bert) == "banned"
    assert await membership.join(fed, bert, group) == "rejected"
    with pytest.raises(membership.NotAllowed):
        await post_to_neighbourhood(fed, bert, group, "ik ben terug")


async def test_members_mode_refuses_posts_from_non_members(instance: Instance) -> None:
    fed = federating(instance)
    group = await create_neighbourhood(fed, "leden")
    bert = await _person(instance, "bert")
    with pytest.raises(membership.NotAllowed):
        await post_to_neighbourhood(fed, bert, group, "hallo")
    await membership.join(fed, bert, group)
    row = await post_to_neighbourhood(fed, bert, group, "hallo")
    assert row.document is not None and row.document["audience"] == group.ap_id
    assert await neighbourhood_store.group_post(instance.pool, group.id, row.ap_id) is not None


async def test_roles_are_set_by_moderators_only(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "rollen", founder=anna)
    await membership.join(fed, bert, group)
    with pytest.raises(membership.NotAllowed):
        await membership.set_role(fed, bert, group, bert, "moderator")
    assert await membership.set_role(fed, anna, group, bert, "moderator")
    assert set(await membership_store.moderator_ids(instance.pool, group.id)) == {anna.ap_id, bert.ap_id}
