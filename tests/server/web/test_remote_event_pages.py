"""Events and polls of another server on their pages here, over real federation between
two instances: reached from the home timeline, RSVP, withdraw and vote from plain HTML
forms (the origin counts them); the organiser approves and declines waiting attendees
and takes back a cancellation from the web (Accept, Reject and Update reach the other
server)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import quote

from server.domain import follows, polls, rsvp
from server.domain.actors import create_local_actor
from server.domain.events import create_event
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import follows as follow_store
from server.storage import polls as poll_store
from server.storage.actors import ActorRow
from server.storage.events import EventFields
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_pages import event_form


async def follow(inst: Instance, follower: ActorRow, target: str) -> None:
    await follows.follow(federating(inst), follower, target)

    async def accepted() -> bool:
        remote = await actor_store.actor_by_ap_id(inst.pool, target)
        return remote is not None and await follow_store.follow_state(inst.pool, follower.id, remote.id) == "accepted"

    await wait_for(accepted)


async def state_of(inst: Instance, event_ap_id: str, actor_ap_id: str) -> str | None:
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    actor = await actor_store.actor_by_ap_id(inst.pool, actor_ap_id)
    if event is None or actor is None:
        return None
    row = await event_store.attendee(inst.pool, event.object_id, actor.id)
    return row.state if row else None


def becomes(check: Callable[[], Any], expected: object) -> Callable[[], Any]:
    async def done() -> bool:
        return bool(await check() == expected)

    return done


def link_of(ap_id: str) -> str:
    return "/post?uri=" + quote(ap_id, safe="")


async def test_a_resident_answers_and_votes_in_another_servers_event_and_poll(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(b) as bob,
    ):
        buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
        await bob.register("bob")
        bob_row = await actor_store.local_actor(b.pool, "bob")
        assert bob_row is not None
        await follow(b, bob_row, buurt.ap_id)
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
        fields = EventFields(name="Snoeidag", starts_at=start, ends_at=start + timedelta(hours=2),
                             timezone="Europe/Amsterdam", place_name="Speeltuin", latitude=52.36,
                             longitude=4.91)  # fmt: skip
        event = await create_event(federating(a), buurt, fields, "<p>Neem een schaar mee</p>")
        poll = await polls.create_poll(federating(a), buurt, "<p>Welke kleur bankje?</p>", ["Groen", "Blauw"])
        await wait_for(lambda: event_store.event_by_ap_id(b.pool, event.ap_id))
        await wait_for(lambda: poll_store.poll_by_ap_id(b.pool, poll.ap_id))

        # reached from the home timeline: links to our own pages, not the other server's
        status, page = await bob.get("/home")
        assert status == 200 and "Event: Snoeidag" in page and "Poll" in page
        links = {unescape(h) for h in re.findall(r'href="(/post\?uri=[^"]+)"', page)}
        assert {link_of(event.ap_id), link_of(poll.ap_id)} <= links

        status, page = await bob.get("/search?q=" + quote(event.ap_id, safe=""))  # and from search, by its URL
        assert status == 200 and "Found at this address" in page and f'href="{link_of(event.ap_id)}"' in page
        status, page = await bob.get(link_of(event.ap_id))
        assert status == 200 and "Snoeidag" in page and "Speeltuin" in page and "organised on another server" in page
        assert "https://www.openstreetmap.org/?mlat=52.36000&amp;mlon=4.91000" in page
        assert "/calendar/event.ics?uri=" in page and "webcal://" in page
        async with bob.session.get(b.url("/calendar/event.ics?uri=" + quote(event.ap_id, safe=""))) as resp:
            assert resp.status == 200 and "SUMMARY:Snoeidag" in await resp.text()

        status, page, _ = await bob.submit("/event/rsvp", {"uri": event.ap_id, "answer": "going"},
                                           from_page=link_of(event.ap_id))  # fmt: skip
        assert status == 200 and "Your answer: going" in page  # waiting for the Accept, or accepted
        await wait_for(becomes(lambda: state_of(a, event.ap_id, bob_row.ap_id), "going"))
        await wait_for(becomes(lambda: state_of(b, event.ap_id, bob_row.ap_id), "going"))
        on_a = await event_store.event_by_ap_id(a.pool, event.ap_id)
        assert on_a is not None and (await event_store.attendee_counts(a.pool, on_a.object_id))["going"] == 1

        status, page, _ = await bob.submit("/event/rsvp", {"uri": event.ap_id, "answer": "cancel"},
                                           from_page=link_of(event.ap_id))  # fmt: skip
        assert status == 200 and "my-answer" not in page
        await wait_for(becomes(lambda: state_of(a, event.ap_id, bob_row.ap_id), None))  # the Leave arrived

        status, page = await bob.get(link_of(poll.ap_id))
        assert status == 200 and "Welke kleur bankje?" in page and "held on another server" in page
        status, page, _ = await bob.submit("/poll/vote", {"uri": poll.ap_id, "choice": "Blauw"},
                                           from_page=link_of(poll.ap_id))  # fmt: skip
        assert status == 200 and "Blauw (your choice)" in page

        async def counted_on_a() -> list[int]:
            found = await poll_store.poll_by_ap_id(a.pool, poll.ap_id)
            return [o.votes for o in await poll_store.option_counts(a.pool, found)] if found else []

        await wait_for(becomes(counted_on_a, [0, 1]))
        status, page, _ = await bob.submit("/poll/vote", {"uri": poll.ap_id, "choice": "Groen"},
                                           from_page=link_of(poll.ap_id))  # fmt: skip
        assert status == 409 and "You voted already." in page
        status, _, _ = await bob.submit("/poll/vote", {"uri": "https://elders.example/objects/x", "choice": "Ja"},
                                        from_page="/home")  # fmt: skip
        assert status == 404


async def test_the_organiser_approves_declines_and_takes_back_a_cancellation(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(a) as anna,
        PageClient(a) as other,
    ):
        await anna.register("anna")
        await other.register("piet")
        anna_row = await actor_store.local_actor(a.pool, "anna")
        assert anna_row is not None
        bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
        carol = await create_local_actor(b.pool, b.settings, kind="Person", username="carol")
        await follow(b, bob, anna_row.ap_id)
        status, _, resp = await anna.submit("/compose/event", event_form(join_mode="restricted"))
        assert status == 200
        path = str(resp.url.path)
        ap_id = a.base_url + path
        await wait_for(lambda: event_store.event_by_ap_id(b.pool, ap_id))
        for resident in (bob, carol):
            assert await rsvp.rsvp(federating(b), resident, ap_id, "going") == "pending"
        await wait_for(becomes(lambda: state_of(a, ap_id, bob.ap_id), "pending"))
        await wait_for(becomes(lambda: state_of(a, ap_id, carol.ap_id), "pending"))

        status, page = await anna.get(path)
        assert "Waiting for your approval" in page and bob.ap_id in page and carol.ap_id in page
        _, page = await other.get(path)
        assert "Waiting for your approval" not in page and bob.ap_id not in page
        status, _, _ = await other.submit("/event/attendee", {"uri": ap_id, "attendee": bob.ap_id,
                                                               "decision": "approve"}, from_page=path)  # fmt: skip
        assert status == 404  # only the organiser decides

        status, page, _ = await anna.submit("/event/attendee", {"uri": ap_id, "attendee": bob.ap_id,
                                                                "decision": "approve"}, from_page=path)  # fmt: skip
        assert status == 200 and "1 person is going" in page
        await wait_for(becomes(lambda: state_of(b, ap_id, bob.ap_id), "going"))  # the Accept arrived
        status, page, _ = await anna.submit("/event/attendee", {"uri": ap_id, "attendee": carol.ap_id,
                                                                "decision": "decline"}, from_page=path)  # fmt: skip
        assert status == 200 and "Nobody is waiting." in page
        assert await state_of(a, ap_id, carol.ap_id) is None
        await wait_for(becomes(lambda: state_of(b, ap_id, carol.ap_id), None))  # the Reject arrived
        status, page, _ = await anna.submit("/event/attendee", {"uri": ap_id, "attendee": carol.ap_id,
                                                                "decision": "decline"}, from_page=path)  # fmt: skip
        assert status == 409 and "no longer waiting" in page

        async def status_on_b() -> str | None:
            found = await event_store.event_by_ap_id(b.pool, ap_id)
            return found.fields.status if found else None

        status, page, _ = await anna.submit("/event/status", {"uri": ap_id, "status": "cancelled"}, from_page=path)
        assert status == 200 and "Status: Cancelled" in page and "Take back the cancellation" in page
        await wait_for(becomes(status_on_b, "cancelled"))
        status, _, _ = await other.submit("/event/status", {"uri": ap_id, "status": "scheduled"}, from_page=path)
        assert status == 404
        status, page, _ = await anna.submit("/event/status", {"uri": ap_id, "status": "scheduled"}, from_page=path)
        assert status == 200 and "Status: Cancelled" not in page and "Cancel this event" in page
        await wait_for(becomes(status_on_b, "scheduled"))  # the Update arrived
