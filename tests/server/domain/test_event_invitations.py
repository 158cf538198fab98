"""Invitations to invite-only events on a real instance: the organiser invites a remote
actor (an Invite in Mobilizon's shape reaches them) and a local resident (a notification);
Accept{Invite} makes the invitee an attendee; a Join from someone not invited is Rejected
with a reason; only the organiser invites, and only to invite-only events."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from server.domain import rsvp
from server.domain.actors import create_local_actor
from server.domain.event_invitations import CannotInvite, invite_to_event
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
