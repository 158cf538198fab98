"""Invitations to invite-only events on a real instance: the organiser invites a remote
actor (an Invite in Mobilizon's shape reaches them) and a local resident (a notification);
Accept{Invite} makes the invitee an attendee; a Join from someone not invited is Rejected
with a reason; only the organiser invites, and only to invite-only events. An unanswered
invitation taken back sends Undo{Invite} (the Invite embedded) and the invitee can no longer
join; a local invitee's "invited" notification goes with a taken-back invitation; an
Undo{Invite} from a remote event's organiser removes our resident's invitation and its
notification, from anyone else it does not."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from server.domain import rsvp
from server.domain.actors import create_local_actor
from server.domain.event_invitations import (
    ALREADY_INVITED,
    CannotInvite,
    CannotTakeBack,
    invite_to_event,
    take_back_invitation,
)
from server.domain.events import create_event
from server.storage import notifications as notification_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, ScriptedPeer, scripted_peer
from tests.server.domain.test_content_notifications import next_week
from tests.server.domain.test_polls import processed, send
from tests.server.handlers.test_rsvp import state_of


async def _one(peer: ScriptedPeer, kind: str) -> dict[str, Any] | None:
    found = [a for a in peer.received if a.get("type") == kind]
    return found[0] if found else None


async def test_a_remote_invitee_accepts_and_an_uninvited_join_is_rejected(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    event = await create_event(fed, ria, replace(next_week(), join_mode="invite"))
    assert event.document is not None and event.document["joinMode"] == "invite"
    async with scripted_peer() as peer:
        anna, bob = peer.make_actor("anna"), peer.make_actor("bob")
        anna_row = await fed.remote.actor(anna.ap_id)
        assert anna_row is not None
        assert await invite_to_event(fed, ria, event.ap_id, anna_row) == "invited"
        invite = await wait_for(lambda: _one(peer, "Invite"))
        assert invite["actor"] == ria.ap_id and invite["object"] == event.ap_id
        assert invite["target"] == anna.ap_id and invite["to"] == [anna.ap_id]
        assert await state_of(instance, event.ap_id, anna.ap_id) == "invited"
        join = {"@context": AS, "id": peer.activity_id(), "type": "Join", "actor": bob.ap_id, "object": event.ap_id}
        await send(instance, peer, bob, join)
        reject = await wait_for(lambda: _one(peer, "Reject"))
        assert reject["summary"] == "this event is by invitation only" and reject["object"]["id"] == join["id"]
        accept = {"@context": AS, "id": peer.activity_id(), "type": "Accept", "actor": anna.ap_id,
                  "object": {"id": invite["id"], "type": "Invite", "actor": ria.ap_id, "object": event.ap_id,
                             "target": anna.ap_id}}  # fmt: skip
        await send(instance, peer, anna, accept)
        await wait_for(lambda: processed(instance, 2))
    assert await state_of(instance, event.ap_id, anna.ap_id) == "going"
    assert await state_of(instance, event.ap_id, bob.ap_id) is None
    told = await instance.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND kind = 'rsvp_going'", ria.id
    )
    assert told == 1


async def test_a_local_invitee_is_notified_and_may_answer(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    cor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="cor")
    fields = next_week()
    invite_only = await create_event(fed, ria, replace(fields, join_mode="invite"), visibility="followers")
    free = await create_event(fed, ria, fields)
    with pytest.raises(CannotInvite, match="only the organiser"):
        await invite_to_event(fed, cor, invite_only.ap_id, bas)
    with pytest.raises(CannotInvite, match="by invitation"):
        await invite_to_event(fed, ria, free.ap_id, bas)
    assert await invite_to_event(fed, ria, invite_only.ap_id, bas) == "invited"
    found = await instance.pool.fetch("SELECT kind, object_ap_id FROM notifications WHERE recipient_id = $1", bas.id)
    assert [(r["kind"], r["object_ap_id"]) for r in found] == [("event_invite", invite_only.ap_id)]
    with pytest.raises(rsvp.EventUnavailable, match="by invitation only"):
        await rsvp.rsvp(fed, cor, invite_only.ap_id, "going")
    assert await rsvp.rsvp(fed, bas, invite_only.ap_id, "going") == "going"
    assert await invite_to_event(fed, ria, invite_only.ap_id, bas) == "going"  # an answer is kept
    shown = await notification_store.notifications_for(instance.pool, bas.id)
    assert [n.kind for n in shown] == ["event_invite"]  # a followers-only event: the invitee may read it


async def invite_notifications(instance: Instance, recipient_id: int) -> list[str]:
    """The object ids of the recipient's "invited" notifications."""
    rows = await instance.pool.fetch(
        "SELECT object_ap_id FROM notifications WHERE recipient_id = $1 AND kind = 'event_invite' ORDER BY id",
        recipient_id,
    )
    return [r["object_ap_id"] for r in rows]


async def test_a_local_invitation_taken_back_takes_its_notification_along(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    cor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="cor")
    first = await create_event(fed, ria, replace(next_week(), join_mode="invite"))
    second = await create_event(fed, ria, replace(next_week(), join_mode="invite"))
    for event in (first, second):
        for invitee in (bas, cor):
            assert await invite_to_event(fed, ria, event.ap_id, invitee) == "invited"
    assert await invite_notifications(instance, bas.id) == [first.ap_id, second.ap_id]
    await take_back_invitation(fed, ria, first.ap_id, bas)
    assert await invite_notifications(instance, bas.id) == [second.ap_id]  # the other event's stays
    assert await invite_notifications(instance, cor.id) == [first.ap_id, second.ap_id]  # and cor's
    assert [n.kind for n in await notification_store.notifications_for(instance.pool, bas.id)] == ["event_invite"]
    assert await notification_store.count_unread(instance.pool, bas.id) == 1
    assert await state_of(instance, first.ap_id, bas.ap_id) is None


async def test_a_remote_invitation_taken_back_sends_undo_and_the_join_is_rejected(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    event = await create_event(fed, ria, replace(next_week(), join_mode="invite"))
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        anna_row = await fed.remote.actor(anna.ap_id)
        assert anna_row is not None
        assert await invite_to_event(fed, ria, event.ap_id, anna_row) == "invited"
        assert await invite_to_event(fed, ria, event.ap_id, anna_row) == ALREADY_INVITED  # nothing sent again
        invite = await wait_for(lambda: _one(peer, "Invite"))
        await take_back_invitation(fed, ria, event.ap_id, anna_row)
        undo = await wait_for(lambda: _one(peer, "Undo"))
        assert undo["actor"] == ria.ap_id and undo["to"] == [anna.ap_id]
        assert undo["object"] == {k: v for k, v in invite.items() if k not in ("@context", "proof")}
        assert len([a for a in peer.received if a.get("type") == "Invite"]) == 1
        assert await state_of(instance, event.ap_id, anna.ap_id) is None
        with pytest.raises(CannotTakeBack):
            await take_back_invitation(fed, ria, event.ap_id, anna_row)
        join = {"@context": AS, "id": peer.activity_id(), "type": "Join", "actor": anna.ap_id, "object": event.ap_id}
        await send(instance, peer, anna, join)
        reject = await wait_for(lambda: _one(peer, "Reject"))
        assert reject["summary"] == "this event is by invitation only"
    assert await state_of(instance, event.ap_id, anna.ap_id) is None


async def test_an_undo_invite_from_the_remote_organiser_removes_the_invitation(instance: Instance) -> None:
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    async with scripted_peer() as peer, scripted_peer("127.0.0.2") as other:
        org, mallory = peer.make_actor("org"), other.make_actor("mallory")
        start = next_week().starts_at.isoformat()
        event_doc = {
            "@context": AS,
            "id": peer.base + "/events/1",
            "type": "Event",
            "name": "Besloten borrel",
            "attributedTo": org.ap_id,
            "startTime": start,
            "joinMode": "invite",
            "to": [bas.ap_id],
        }
        peer.serve("/events/1", event_doc)
        invite = {"@context": AS, "id": peer.activity_id(), "type": "Invite", "actor": org.ap_id,
                  "object": event_doc["id"], "target": bas.ap_id, "to": [bas.ap_id]}  # fmt: skip
        await send(instance, peer, org, invite)
        await wait_for(lambda: processed(instance, 1))
        assert await state_of(instance, event_doc["id"], bas.ap_id) == "invited"
        assert await invite_notifications(instance, bas.id) == [event_doc["id"]]
        inner = {k: v for k, v in invite.items() if k != "@context"}
        forged = {"@context": AS, "id": other.activity_id(), "type": "Undo", "actor": mallory.ap_id, "object": inner}
        await send(instance, other, mallory, forged)
        await wait_for(lambda: processed(instance, 2))
        assert await state_of(instance, event_doc["id"], bas.ap_id) == "invited"  # not the organiser's server
        assert await invite_notifications(instance, bas.id) == [event_doc["id"]]
        undo = {"@context": AS, "id": peer.activity_id(), "type": "Undo", "actor": org.ap_id, "object": inner}
        await send(instance, peer, org, undo)
        await wait_for(lambda: processed(instance, 3))
    assert await state_of(instance, event_doc["id"], bas.ap_id) is None
    assert await invite_notifications(instance, bas.id) == []
