"""A municipality follows a neighbourhood from its own instance: its Organization account
on B follows `oosterpark` on A by ActivityPub and receives the neighbourhood's public posts
and events; members-only and direct posts never reach it (nor anything of a neighbourhood
it does not follow). A lists the municipality among the institutions that read along."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.domain import events, follows, posts
from server.domain.actors import create_local_actor
from server.domain.post_fields import PostOptions
from server.storage import actors as actor_store
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from server.storage.events import EventFields
from tests.harness import Instance, federating, wait_for


async def _accepted(inst: Instance, follower: str, followed: str) -> bool:
    a = await actor_store.actor_by_ap_id(inst.pool, follower)
    b = await actor_store.actor_by_ap_id(inst.pool, followed)
    return a is not None and b is not None and await follow_store.follow_state(inst.pool, a.id, b.id) == "accepted"


async def _deliveries_settled(inst: Instance) -> bool:
    return not await inst.pool.fetchval("SELECT count(*) FROM deliveries WHERE state = 'queued'")


async def test_municipality_on_another_instance_receives_public_posts_and_events_only(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark", name="Oosterpark")
    other = await create_local_actor(a.pool, a.settings, kind="Group", username="westwijk")
    gemeente = await create_local_actor(
        b.pool, b.settings, kind="Organization", username="gemeente", name="Gemeente Amsterdam"
    )
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    assert gemeente.kind == "Organization"

    await follows.follow(federating(b), gemeente, buurt.ap_id)
    assert await wait_for(lambda: _accepted(b, gemeente.ap_id, buurt.ap_id))
    assert await _accepted(a, gemeente.ap_id, buurt.ap_id)
    listed = await feed_store.institutions_following(a.pool, buurt.id)
    assert [(i.ap_id, i.kind) for i in listed] == [(gemeente.ap_id, "Organization")]

    fed = federating(a)
    secret_members = await posts.create_note(
        fed,
        buurt,
        "<p>SECRET ledenvergadering</p>",
        visibility="members",
        options=PostOptions(neighbourhood=buurt.ap_id),
    )
    secret_direct = await posts.create_note(
        fed, buurt, "<p>SECRET voor Carol</p>", visibility="direct", mentions=[carol.ap_id]
    )
    elsewhere = await posts.create_note(fed, other, "<p>Westwijk nieuws</p>")
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    public_note = await posts.create_note(fed, buurt, "<p>Straatfeest zaterdag</p>")
    public_event = await events.create_event(
        fed, buurt, EventFields(name="Straatfeest", starts_at=soon, ends_at=soon + timedelta(hours=3)), "<p>Kom!</p>"
    )

    note_on_b = await wait_for(lambda: object_store.object_by_ap_id(b.pool, public_note.ap_id))
    event_on_b = await wait_for(lambda: object_store.object_by_ap_id(b.pool, public_event.ap_id))
    assert note_on_b.visibility == "public" and "Straatfeest zaterdag" in note_on_b.content
    assert event_on_b.type == "Event" and event_on_b.visibility == "public"
    assert await wait_for(lambda: object_store.object_by_ap_id(c.pool, secret_direct.ap_id))  # Carol got hers

    assert await wait_for(lambda: _deliveries_settled(a))
    for private in (secret_members, secret_direct, elsewhere):
        assert await object_store.object_by_ap_id(b.pool, private.ap_id) is None
    leaked = await b.pool.fetchval("SELECT count(*) FROM objects WHERE content LIKE '%SECRET%'")
    assert leaked == 0
    inbox_leak = await b.pool.fetchval("SELECT count(*) FROM inbox_items WHERE document::text LIKE '%SECRET%'")
    assert inbox_leak == 0
