"""A resident holds an event in a neighbourhood (FEP-1b12, like a post): addressed to the
group, announced unchanged by it, listed in its public calendar feeds when public; the
posting rules (members only, moderated, bans) apply as to posts. On one real instance."""

from __future__ import annotations

from typing import Any

import pytest

from server.domain import events, membership
from server.domain.actors import create_local_actor
from server.domain.moderation import decide_queued_post, remove_member
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import calendar_events
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.calendar_events import EventScope, EventWindow
from tests.harness import Instance, federating
from tests.server.domain.test_events import upcoming


async def _person(inst: Instance, name: str) -> ActorRow:
    return await create_local_actor(inst.pool, inst.settings, kind="Person", username=name)


async def _listed(inst: Instance, group: ActorRow) -> list[str]:
    rows = await calendar_events.public_events(inst.pool, EventScope(neighbourhood_id=group.id), EventWindow(), 50)
    return [r.name for r in rows]


async def _announces_of(inst: Instance, create_id: str) -> list[dict[str, Any]]:
    rows = await inst.pool.fetch(
        """SELECT document FROM outgoing_activities
           WHERE document ->> 'type' = 'Announce' AND document -> 'object' ->> 'id' = $1""",
        create_id,
    )
    return [r["document"] for r in rows]


async def test_a_member_holds_an_event_and_the_group_announces_it(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "oost", founder=anna, name="Oost")
    await membership.join(fed, bert, group)
    row = await events.create_event(fed, bert, upcoming(name="Straatfeest"), neighbourhood=group)
    assert row.document is not None
    assert row.document["attributedTo"] == bert.ap_id and row.document["audience"] == group.ap_id
    assert group.ap_id in row.document["cc"]
    post = await neighbourhood_store.group_post(instance.pool, group.id, row.ap_id)
    assert post is not None and post.state == "announced"
    [announce] = await _announces_of(instance, row.ap_id + "/activity")
    assert announce["actor"] == group.ap_id and announce["audience"] == group.ap_id
    assert announce["object"]["actor"] == bert.ap_id and announce["object"]["object"]["type"] == "Event"
    assert "proof" in announce["object"]  # the organiser's signed Create, unchanged
    assert announce["cc"] == [group.followers_url]
    assert await _listed(instance, group) == ["Straatfeest"]
    # the organiser stays the organiser: the event is bert's, not the group's
    assert await calendar_events.public_events(
        instance.pool, EventScope(organiser_id=bert.id), EventWindow(), 10
    ) and not await calendar_events.public_events(instance.pool, EventScope(organiser_id=group.id), EventWindow(), 10)


async def test_an_unlisted_event_is_announced_but_never_in_public_feeds(instance: Instance) -> None:
    fed = federating(instance)
    group = await create_neighbourhood(fed, "oost")
    bert = await _person(instance, "bert")
    await membership.join(fed, bert, group)
    row = await events.create_event(fed, bert, upcoming(name="Overleg"), visibility="unlisted", neighbourhood=group)
    post = await neighbourhood_store.group_post(instance.pool, group.id, row.ap_id)
    assert post is not None and post.state == "announced"
    assert await _listed(instance, group) == []


async def test_followers_only_events_cannot_be_held_in_a_neighbourhood(instance: Instance) -> None:
    fed = federating(instance)
    group = await create_neighbourhood(fed, "oost")
    bert = await _person(instance, "bert")
    await membership.join(fed, bert, group)
    with pytest.raises(events.InvalidEvent, match="public or unlisted"):
        await events.create_event(fed, bert, upcoming(), visibility="followers", neighbourhood=group)
    with pytest.raises(events.InvalidEvent, match="resident"):
        await events.create_event(fed, group, upcoming(), neighbourhood=group)
    assert await instance.pool.fetchval("SELECT count(*) FROM events") == 0


async def test_non_members_and_banned_members_are_refused(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "leden", founder=anna)  # posting mode "members"
    with pytest.raises(membership.NotAllowed):
        await events.create_event(fed, bert, upcoming(), neighbourhood=group)
    await membership.join(fed, bert, group)
    assert await remove_member(fed, anna, group, bert, ban=True)
    with pytest.raises(membership.NotAllowed):
        await events.create_event(fed, bert, upcoming(), neighbourhood=group)
    assert await instance.pool.fetchval("SELECT count(*) FROM events") == 0


async def test_a_moderated_neighbourhood_queues_the_event_until_approved(instance: Instance) -> None:
    fed = federating(instance)
    anna, bert = await _person(instance, "anna"), await _person(instance, "bert")
    group = await create_neighbourhood(fed, "streng", founder=anna, posting_mode="moderated")
    await membership.join(fed, bert, group)
    row = await events.create_event(fed, bert, upcoming(name="Buurtborrel"), neighbourhood=group)
    post = await neighbourhood_store.group_post(instance.pool, group.id, row.ap_id)
    assert post is not None and post.state == "queued"
    assert await _announces_of(instance, row.ap_id + "/activity") == []
    assert await _listed(instance, group) == []  # held back: nowhere in public feeds
    assert await decide_queued_post(fed, anna, group, row.ap_id, approve=True) == "announced"
    assert len(await _announces_of(instance, row.ap_id + "/activity")) == 1
    assert await _listed(instance, group) == ["Buurtborrel"]
