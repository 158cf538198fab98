"""Invitations between two instances from the web: the organiser on one invites residents
of the other by handle (WebFinger); their server records the Invite and notifies them;
on the event page there they accept (Accept{Invite}) or decline (Reject{Invite}), and the
organiser's server counts the answer; an invitation taken back there takes the
invitee's notification along."""

from __future__ import annotations

from typing import Any

from server.storage import actors as actor_store
from server.storage import events as event_store
from tests.harness import PEER_ADDRESSES, Instance, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_pages import publish
from tests.server.web.test_remote_event_pages import becomes, link_of


async def state_of(inst: Instance, event_ap_id: str, actor_ap_id: str) -> str | None:
    event = await event_store.event_by_ap_id(inst.pool, event_ap_id)
    actor = await actor_store.actor_by_ap_id(inst.pool, actor_ap_id)
    if event is None or actor is None:
        return None
    row = await event_store.attendee(inst.pool, event.object_id, actor.id)
    return row.state if row else None


async def test_residents_of_another_server_accept_and_decline_an_invitation(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(a) as anna,
        PageClient(b) as bob,
        PageClient(b) as carol,
    ):
        await anna.register("anna")
        await bob.register("bob")
        await carol.register("carol")
        path = await publish(anna, join_mode="invite", capacity="5")
        event_id = a.url(path)
        for name in ("bob", "carol"):
            status, page, _ = await anna.submit(
                "/event/invite", {"uri": event_id, "invitee": f"{name}@{b.settings.domain}"}, from_page=path
            )
            assert status == 200 and f"/actors/{name}</a>" in page, page

        bob_id, carol_id = b.url("/actors/bob"), b.url("/actors/carol")
        await wait_for(becomes(lambda: state_of(b, event_id, bob_id), "invited"))
        await wait_for(becomes(lambda: state_of(b, event_id, carol_id), "invited"))
        status, page = await bob.get("/notifications")
        assert "invited you to an event" in page
        status, page = await bob.get(link_of(event_id))
        assert status == 200 and "organised on another server" in page and "You are invited to this event." in page

        status, page, _ = await bob.submit("/event/invitation", {"uri": event_id, "answer": "accept"},
                                           from_page=link_of(event_id))  # fmt: skip
        assert status == 200 and "Your answer: going." in page
        status, page, _ = await carol.submit("/event/invitation", {"uri": event_id, "answer": "decline"},
                                             from_page=link_of(event_id))  # fmt: skip
        assert status == 200 and "Your answer: not going." in page
        await wait_for(becomes(lambda: state_of(a, event_id, bob_id), "going"))
        await wait_for(becomes(lambda: state_of(a, event_id, carol_id), "declined"))
        status, page = await anna.get(path)
        assert "1 person is going" in page and "/actors/bob</a>" in page

        status, page, _ = await bob.submit("/event/invitation", {"uri": event_id, "answer": "decline"},
                                           from_page=link_of(event_id))  # fmt: skip
        assert status == 409 and "You have no open invitation." in page


async def test_several_remote_residents_are_invited_at_once_and_one_invitation_is_taken_back(
    make_instance: Any,
) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(a) as anna,
        PageClient(b) as bob,
        PageClient(b) as carol,
    ):
        await anna.register("anna")
        await bob.register("bob")
        await carol.register("carol")
        path = await publish(anna, join_mode="invite")
        event_id = a.url(path)
        names = f"bob@{b.settings.domain}\ncarol@{b.settings.domain}, nobody@{b.settings.domain}"
        status, page, _ = await anna.submit("/event/invite", {"uri": event_id, "invitee": names}, from_page=path)
        assert status == 200 and f"<li>bob@{b.settings.domain}: invited</li>" in page, page
        assert f"<li>carol@{b.settings.domain}: invited</li>" in page
        assert f"<li>nobody@{b.settings.domain}: not found</li>" in page

        bob_id, carol_id = b.url("/actors/bob"), b.url("/actors/carol")
        await wait_for(becomes(lambda: state_of(b, event_id, bob_id), "invited"))
        await wait_for(becomes(lambda: state_of(b, event_id, carol_id), "invited"))

        status, page, _ = await anna.submit("/event/uninvite", {"uri": event_id, "invitee": carol_id}, from_page=path)
        assert status == 200 and f'value="{carol_id}"' not in page and f'value="{bob_id}"' in page
        assert await state_of(a, event_id, carol_id) is None
        await wait_for(becomes(lambda: state_of(b, event_id, carol_id), None))  # the Undo{Invite} arrived
        assert await state_of(b, event_id, bob_id) == "invited"
        told = await b.pool.fetch(
            """SELECT a.ap_id FROM notifications n JOIN actors a ON a.id = n.recipient_id
               WHERE n.kind = 'event_invite' AND n.object_ap_id = $1""",
            event_id,
        )
        assert [r["ap_id"] for r in told] == [bob_id]  # carol's "invited" notification went with the Undo
        status, page = await carol.get(link_of(event_id))
        assert status == 200 and "You are invited to this event." not in page
        status, page, _ = await carol.submit("/event/invitation", {"uri": event_id, "answer": "accept"},
                                             from_page=link_of(event_id))  # fmt: skip
        assert status == 409 and "You have no open invitation." in page

        # carol asks to come all the same: by invitation only, so the organiser's server refuses
        await carol.submit("/event/rsvp", {"uri": event_id, "answer": "going"}, from_page=link_of(event_id))
        status, page, _ = await bob.submit("/event/invitation", {"uri": event_id, "answer": "accept"},
                                           from_page=link_of(event_id))  # fmt: skip
        assert status == 200 and "Your answer: going." in page
        await wait_for(becomes(lambda: state_of(a, event_id, bob_id), "going"))
        assert await state_of(a, event_id, carol_id) is None
