"""An organisation follows every public neighbourhood of an area at once — by name, by a
box or around a point (by each boundary) — and shows up among each neighbourhood's
institutions; a neighbourhood that comes into a followed area later is followed too, once.
An organisation lists its area follows and ends one: later neighbourhoods are no longer
followed, and only by choice are the follows it started ended too."""

from __future__ import annotations

import pytest

from server.domain.actors import create_local_actor
from server.domain.area_follows import (
    InvalidArea,
    NotAnOrganisation,
    UnknownAreaFollow,
    area_follows_of,
    end_area_follow,
    follow_area,
    start_area_follow,
)
from server.domain.follows import follow, unfollow
from server.domain.neighbourhoods import create_neighbourhood, update_profile
from server.storage import actors as actor_store
from server.storage import area_follows as area_store
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating
from tests.server.domain.test_geometry import SQUARE, TWO


async def test_follow_area_follows_each_public_neighbourhood_once(instance: Instance) -> None:
    pool, settings = instance.pool, instance.settings
    groups = [await create_local_actor(pool, settings, kind="Group", username=n) for n in ("noord1", "noord2", "zuid")]
    hidden = await create_local_actor(pool, settings, kind="Group", username="noordgeheim")
    await pool.execute(
        "UPDATE neighbourhoods SET area_name = 'Noord' WHERE actor_id = ANY($1::bigint[])",
        [groups[0].id, groups[1].id, hidden.id],
    )
    await pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", hidden.id)
    gemeente = await create_local_actor(pool, settings, kind="Organization", username="gemeente")
    started = await follow_area(federating(instance), gemeente, "noord")
    assert len(started) == 2
    for group in groups[:2]:
        assert await follow_store.follow_state(pool, gemeente.id, group.id) == "accepted"
        (institution,) = await feed_store.institutions_following(pool, group.id)
        assert institution.ap_id == gemeente.ap_id and institution.kind == "Organization"
    assert await follow_store.follow_state(pool, gemeente.id, groups[2].id) is None
    assert await follow_store.follow_state(pool, gemeente.id, hidden.id) is None
    assert await follow_area(federating(instance), gemeente, "Noord") == []  # already following


async def test_only_organisations_follow_areas(instance: Instance) -> None:
    person = await create_local_actor(instance.pool, instance.settings, kind="Person", username="piet")
    with pytest.raises(NotAnOrganisation):
        await follow_area(federating(instance), person, "Noord")


AMSTERDAM = (4.85, 52.33, 4.95, 52.40)
INSIDE = {"type": "Polygon", "coordinates": [[[4.86, 52.34], [4.87, 52.34], [4.87, 52.35], [4.86, 52.34]]]}
UTRECHT = {"type": "Polygon", "coordinates": [[[5.10, 52.09], [5.11, 52.09], [5.11, 52.10], [5.10, 52.09]]]}


async def _state(inst: Instance, follower: ActorRow, username: str) -> str | None:
    group = await actor_store.local_actor(inst.pool, username)
    assert group is not None
    return await follow_store.follow_state(inst.pool, follower.id, group.id)


async def test_follow_area_by_box_or_point_judges_the_boundary(instance: Instance) -> None:
    fed = federating(instance)
    for username, boundary in (("polder", SQUARE), ("tweeling", TWO), ("utrecht", UTRECHT), ("zonder", None)):
        await create_neighbourhood(fed, username, boundary=boundary, area_name="Oost")
    hidden = await create_neighbourhood(fed, "verborgen", boundary=TWO)
    await instance.pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", hidden.id)
    gemeente = await create_local_actor(instance.pool, instance.settings, kind="Organization", username="gemeente")
    bieb = await create_local_actor(instance.pool, instance.settings, kind="Organization", username="bieb")

    # a box inside polder's hole meets tweeling (no hole there) but not polder
    assert len(await follow_area(fed, gemeente, bbox=(4.908, 52.364, 4.912, 52.366))) == 1
    assert [await _state(instance, gemeente, n) for n in ("polder", "tweeling", "utrecht", "zonder", "verborgen")] == [
        None,
        "accepted",
        None,
        None,
        None,
    ]
    # 1,200 m north of the square reaches polder and tweeling; with the name too
    assert len(await follow_area(fed, bieb, "oost", near=(52.38, 4.91, 1200))) == 2
    assert [await _state(instance, bieb, n) for n in ("polder", "tweeling", "utrecht")] == [
        "accepted",
        "accepted",
        None,
    ]
    assert await follow_area(fed, bieb, "OOST", near=(52.38, 4.91, 1200)) == []  # the same area, followed
    for bad in (
        {"bbox": (5.0, 52.0, 4.0, 53.0)},
        {"near": (91.0, 4.0, 10.0)},
        {"near": (52.0, 4.0, 0.0)},
        {"near": (52.0, 4.0, 200_000.0)},
        {"bbox": (float("nan"), 52.0, 5.0, 53.0)},
        {},
    ):
        with pytest.raises(InvalidArea):
            await follow_area(fed, gemeente, **bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArea):
        await follow_area(fed, gemeente, "   ")


async def test_a_neighbourhood_that_comes_into_a_followed_area_later_is_followed(instance: Instance) -> None:
    fed = federating(instance)
    pool, settings = instance.pool, instance.settings
    gemeente = await create_local_actor(pool, settings, kind="Organization", username="gemeente")
    bieb = await create_local_actor(pool, settings, kind="Organization", username="bieb")
    piet = await create_local_actor(pool, settings, kind="Person", username="piet")
    assert await follow_area(fed, gemeente, bbox=AMSTERDAM) == []
    assert await follow_area(fed, bieb, "Noord") == []

    await create_neighbourhood(fed, "binnen", boundary=INSIDE)  # created inside the box
    await create_neighbourhood(fed, "buiten", boundary=UTRECHT)
    await create_neighbourhood(fed, "noord", area_name="noord")  # by area name
    assert await _state(instance, gemeente, "binnen") == "accepted"
    assert await _state(instance, gemeente, "buiten") is None
    assert await _state(instance, bieb, "noord") == "accepted"
    assert await _state(instance, bieb, "binnen") is None
    (institution,) = await feed_store.institutions_following(pool, (await actor(instance, "binnen")).id)
    assert institution.ap_id == gemeente.ap_id

    # made without a boundary (as the command line does), placed in the area afterwards
    later = await create_neighbourhood(fed, "later", founder=piet)
    assert await _state(instance, gemeente, "later") is None
    await update_profile(fed, piet, later, boundary=SQUARE)
    assert await _state(instance, gemeente, "later") == "accepted"

    # an organisation that unfollows one neighbourhood is not made to follow it again
    await unfollow(fed, gemeente, later)
    await update_profile(fed, piet, later, description="Nieuw")
    assert await _state(instance, gemeente, "later") is None
    # a hidden neighbourhood is not followed; nor is one followed by a Person's area (none)
    secret = await create_neighbourhood(fed, "geheim", founder=piet)
    await pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", secret.id)
    await update_profile(fed, piet, secret, boundary=INSIDE)
    assert await _state(instance, gemeente, "geheim") is None


async def actor(inst: Instance, username: str) -> ActorRow:
    found = await actor_store.local_actor(inst.pool, username)
    assert found is not None
    return found


async def test_ending_an_area_follow_stops_it_and_keeps_the_follows_by_default(instance: Instance) -> None:
    fed = federating(instance)
    pool, settings = instance.pool, instance.settings
    gemeente = await create_local_actor(pool, settings, kind="Organization", username="gemeente")
    eigen = await create_neighbourhood(fed, "eigen", boundary=INSIDE)
    await follow(fed, gemeente, eigen.ap_id)  # followed before the area follow
    area, started = await start_area_follow(fed, gemeente, bbox=AMSTERDAM)
    assert started == []
    await create_neighbourhood(fed, "binnen", boundary=INSIDE)
    (listed,) = await area_follows_of(pool, gemeente)
    assert listed.area == area and listed.followed == 2 and listed.own == 1  # eigen was followed already

    assert await end_area_follow(fed, gemeente, area.id) == 0
    assert await area_follows_of(pool, gemeente) == []
    assert await _state(instance, gemeente, "binnen") == "accepted"  # kept
    assert await _state(instance, gemeente, "eigen") == "accepted"
    await create_neighbourhood(fed, "nieuw", boundary=INSIDE)  # comes into the area after the end
    assert await _state(instance, gemeente, "nieuw") is None
    with pytest.raises(UnknownAreaFollow):
        await end_area_follow(fed, gemeente, area.id)
    # a neighbourhood reached at the very moment the area follow ends: nothing to record
    nieuw = await actor_store.local_actor(pool, "nieuw")
    assert nieuw is not None
    assert await area_store.record_followed(pool, area.id, nieuw.id) is False


async def test_ending_with_unfollow_ends_only_the_follows_the_area_follow_started(instance: Instance) -> None:
    fed = federating(instance)
    pool, settings = instance.pool, instance.settings
    gemeente = await create_local_actor(pool, settings, kind="Organization", username="gemeente")
    bieb = await create_local_actor(pool, settings, kind="Organization", username="bieb")
    eigen = await create_neighbourhood(fed, "eigen", area_name="Noord")
    await follow(fed, gemeente, eigen.ap_id)
    await create_neighbourhood(fed, "noord1", area_name="Noord")
    await create_neighbourhood(fed, "beide", area_name="Noord", boundary=INSIDE)
    by_name, started = await start_area_follow(fed, gemeente, "Noord")
    assert len(started) == 2  # noord1 and beide
    by_box, _ = await start_area_follow(fed, gemeente, bbox=AMSTERDAM)  # reaches beide too
    await start_area_follow(fed, bieb, "Noord")
    listed = {a.area.id: a for a in await area_follows_of(pool, gemeente)}
    assert (listed[by_name.id].followed, listed[by_name.id].own) == (3, 1)  # beide: the box reached it too
    assert (listed[by_box.id].followed, listed[by_box.id].own) == (1, 0)
    hood = await actor(instance, "noord1")
    followers_before = await follow_store.count_followers(pool, hood.id)

    assert await end_area_follow(fed, gemeente, by_name.id, unfollow_neighbourhoods=True) == 1
    assert await _state(instance, gemeente, "noord1") is None  # its own follow: ended
    assert await follow_store.count_followers(pool, hood.id) == followers_before - 1
    assert await _state(instance, gemeente, "beide") == "accepted"  # still in the box it follows
    assert await _state(instance, gemeente, "eigen") == "accepted"  # followed before: kept
    assert await _state(instance, bieb, "noord1") == "accepted"  # another organisation's
    await create_neighbourhood(fed, "noord2", area_name="Noord")
    assert await _state(instance, gemeente, "noord2") is None  # the name is no longer followed
    assert await _state(instance, bieb, "noord2") == "accepted"
    assert [a.area.id for a in await area_follows_of(pool, gemeente)] == [by_box.id]


async def test_only_the_organisation_lists_and_ends_its_area_follows(instance: Instance) -> None:
    fed = federating(instance)
    pool, settings = instance.pool, instance.settings
    gemeente = await create_local_actor(pool, settings, kind="Organization", username="gemeente")
    bieb = await create_local_actor(pool, settings, kind="Organization", username="bieb")
    piet = await create_local_actor(pool, settings, kind="Person", username="piet")
    area, _ = await start_area_follow(fed, gemeente, "Noord")
    with pytest.raises(NotAnOrganisation):
        await area_follows_of(pool, piet)
    with pytest.raises(NotAnOrganisation):
        await end_area_follow(fed, piet, area.id)
    with pytest.raises(UnknownAreaFollow):
        await end_area_follow(fed, bieb, area.id)  # not bieb's
    assert [a.area.id for a in await area_follows_of(pool, gemeente)] == [area.id]
    with pytest.raises(InvalidArea) as refused:
        await start_area_follow(fed, gemeente, bbox=(5.0, 52.0, 4.0, 53.0))
    assert refused.value.field == "bbox"
