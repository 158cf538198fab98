"""An organisation follows every public neighbourhood of an area at once, and shows up
among each neighbourhood's institutions."""

from __future__ import annotations

import pytest

from server.domain.actors import create_local_actor
from server.domain.area_follows import NotAnOrganisation, follow_area
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from tests.harness import Instance, federating


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
