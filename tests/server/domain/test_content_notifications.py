"""Notifications about content on a real instance: RSVPs reach the event's organisers
(local answers and remote Joins through the inbox), new poll votes make one notification
per poll and hour (not one per vote), reports reach a neighbourhood's moderators or the
instance admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain import events, membership, moderation, polls, rsvp
from server.domain.actors import create_account, create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.neighbourhoods import create_neighbourhood
from server.storage.events import EventFields
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, scripted_peer
from tests.server.domain.test_polls import processed, send, vote


async def kinds_of(inst: Instance, recipient_id: int) -> list[tuple[str, str | None]]:
    rows = await inst.pool.fetch(
        """SELECT n.kind, a.ap_id FROM notifications n LEFT JOIN actors a ON a.id = n.actor_id
           WHERE n.recipient_id = $1 ORDER BY n.id""",
        recipient_id,
    )
    return [(r["kind"], r["ap_id"]) for r in rows]


def next_week() -> EventFields:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    return EventFields(name="Buurtfeest", starts_at=start, ends_at=start + timedelta(hours=3))


async def test_rsvps_notify_the_organisers_once_per_answer(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    mo = await create_local_actor(instance.pool, instance.settings, kind="Person", username="mo")
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    event = await events.create_event(fed, ria, next_week())
    await rsvp.rsvp(fed, bas, event.ap_id, "going")
    await rsvp.rsvp(fed, bas, event.ap_id, "going")  # the same answer again: no second notification
    await rsvp.rsvp(fed, bas, event.ap_id, "declined")
    await rsvp.rsvp(fed, ria, event.ap_id, "going")  # the organiser's own answer: not notified
    assert await kinds_of(instance, ria.id) == [("rsvp_going", bas.ap_id), ("rsvp_declined", bas.ap_id)]
    # a neighbourhood's event: its moderators hear of answers, ordinary members do not
    group = await create_neighbourhood(fed, "oost", founder=mo)
    await membership.join(fed, ria, group)
    group_event = await events.create_event(fed, group, next_week())
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        join = {"@context": AS, "id": peer.activity_id(), "type": "Join", "actor": anna.ap_id,
                "object": group_event.ap_id}  # fmt: skip
        await send(instance, peer, anna, join)
        await wait_for(lambda: processed(instance, 1))
    assert await kinds_of(instance, mo.id) == [("rsvp_going", anna.ap_id)]
    assert [k for k, _ in await kinds_of(instance, ria.id)] == ["rsvp_going", "rsvp_declined"]


async def test_many_votes_make_one_notification_per_poll_and_hour(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(fed, ria, "Bankje?", ["Ja", "Nee"], ends_at=datetime.now(UTC) + timedelta(days=1))
    async with scripted_peer() as peer:
        voters = [peer.make_actor(f"v{i}") for i in range(6)]
        for voter in voters[:5]:
            await send(instance, peer, voter, vote(peer, voter, row.ap_id, ria.ap_id, "Ja"))
        await wait_for(lambda: processed(instance, 5))
        assert await kinds_of(instance, ria.id) == [("poll_votes", None)]
        await instance.pool.execute("UPDATE notifications SET read_at = now(), created_at = now() - interval '2 hours'")
        await send(instance, peer, voters[5], vote(peer, voters[5], row.ap_id, ria.ap_id, "Nee"))
        await wait_for(lambda: processed(instance, 6))
    renewed = await instance.pool.fetch("SELECT read_at, created_at FROM notifications WHERE recipient_id = $1", ria.id)
    assert len(renewed) == 1 and renewed[0]["read_at"] is None
    assert renewed[0]["created_at"] > datetime.now(UTC) - timedelta(minutes=5)


async def test_reports_reach_the_neighbourhood_moderators_or_the_admins(instance: Instance) -> None:
    fed = federating(instance)
    beheer = await create_account(
        instance.pool, instance.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )
    mo = await create_local_actor(instance.pool, instance.settings, kind="Person", username="mo")
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    group = await create_neighbourhood(fed, "oost", founder=mo)
    post = await publish_draft(fed, bas, Draft(text="fiets te koop", visibility="public"))
    await moderation.report(fed, bas, [post.ap_id], "spam", group=group)
    assert await kinds_of(instance, mo.id) == [("report", bas.ap_id)]
    assert await kinds_of(instance, beheer.id) == []
    await moderation.report(fed, mo, [post.ap_id], "spam")
    assert await kinds_of(instance, beheer.id) == [("report", mo.ap_id)]
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        flag: dict[str, Any] = {"@context": AS, "id": peer.activity_id(), "type": "Flag", "actor": anna.ap_id,
                                "object": [bas.ap_id, post.ap_id], "content": "rommel"}  # fmt: skip
        await send(instance, peer, anna, flag)
        await send(instance, peer, anna, flag)  # delivered twice: one report, one notification
        await wait_for(lambda: processed(instance, 1))
    assert await kinds_of(instance, beheer.id) == [("report", mo.ap_id), ("report", anna.ap_id)]
