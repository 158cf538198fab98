"""A local actor follows, unfollows or blocks another actor (anywhere)."""

from __future__ import annotations

from typing import Any

from server.domain.federation_context import Federating
from server.domain.notifications import notify
from server.domain.publish import new_activity_id, publish
from server.storage import follows as follow_store
from server.storage import moderation as moderation_store
from server.storage.actors import ActorRow

AS = "https://www.w3.org/ns/activitystreams"


class UnknownActor(LookupError):
    """The actor to follow could not be found or fetched."""


async def follow(fed: Federating, follower: ActorRow, target_ap_id: str) -> str:
    """Send a Follow; the follow is pending until the target's Accept arrives."""
    target = await fed.remote.actor(target_ap_id)
    if target is None:
        raise UnknownActor(target_ap_id)
    activity: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Follow",
        "actor": follower.ap_id,
        "object": target.ap_id,
        "to": [target.ap_id],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        state = "pending" if not target.is_local or target.manually_approves else "accepted"
        await follow_store.upsert_follow(conn, activity["id"], follower.id, target.id, state)
        if target.is_local:
            await notify(conn, target.id, "follow" if state == "accepted" else "follow_request", follower.id, None)
        else:
            await publish(conn, fed.settings, fed.keyring, follower, activity, inboxes=[target.inbox_url])
    return str(activity["id"])


async def unfollow(fed: Federating, follower: ActorRow, target: ActorRow) -> None:
    async with fed.pool.acquire() as conn, conn.transaction():
        follow_id = await follow_store.follow_ap_id(conn, follower.id, target.id)
        await follow_store.delete_follow(conn, follower.id, target.id)
        if follow_id is None or target.is_local:
            return
        undo: dict[str, Any] = {
            "@context": AS,
            "id": new_activity_id(fed.settings),
            "type": "Undo",
            "actor": follower.ap_id,
            "to": [target.ap_id],
            "object": {
                "id": follow_id,
                "type": "Follow",
                "actor": follower.ap_id,
                "object": target.ap_id,
            },
        }
        await publish(conn, fed.settings, fed.keyring, follower, undo, inboxes=[target.inbox_url])


async def block(fed: Federating, blocker: ActorRow, target: ActorRow) -> None:
    """Block: follows both ways end, and the target's server is told."""
    activity: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Block",
        "actor": blocker.ap_id,
        "object": target.ap_id,
        "to": [target.ap_id],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        await moderation_store.insert_block(conn, activity["id"], blocker.id, target.id)
        await follow_store.delete_follow(conn, blocker.id, target.id)
        await follow_store.delete_follow(conn, target.id, blocker.id)
        if not target.is_local:
            await publish(conn, fed.settings, fed.keyring, blocker, activity, inboxes=[target.inbox_url])


def _answer(fed: Federating, kind: str, target: ActorRow, follower: ActorRow, follow_id: str) -> dict[str, Any]:
    """Accept or Reject of the Follow `follow_id` of `target` by `follower`."""
    return {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": kind,
        "actor": target.ap_id,
        "to": [follower.ap_id],
        "object": {"id": follow_id, "type": "Follow", "actor": follower.ap_id, "object": target.ap_id},
    }


async def approve_follow(fed: Federating, target: ActorRow, follower: ActorRow) -> bool:
    """Accept a pending follow of `target` (an actor that approves followers by hand, or a
    follower on a *limited* domain)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        follow_id = await follow_store.follow_ap_id(conn, follower.id, target.id)
        if follow_id is None or not await follow_store.accept_follow(conn, follower.id, target.id):
            return False
        if not follower.is_local:
            accept = _answer(fed, "Accept", target, follower, follow_id)
            await publish(conn, fed.settings, fed.keyring, target, accept, inboxes=[follower.inbox_url])
    return True


async def refuse_follow(fed: Federating, target: ActorRow, follower: ActorRow) -> bool:
    """Refuse a pending follow of `target`: it is deleted and a remote follower's server gets
    Reject{Follow}. False when no follow of `target` by `follower` is pending."""
    async with fed.pool.acquire() as conn, conn.transaction():
        follow_id = await follow_store.follow_ap_id(conn, follower.id, target.id)
        if follow_id is None or await follow_store.follow_state(conn, follower.id, target.id) != "pending":
            return False
        await follow_store.delete_follow(conn, follower.id, target.id)
        if not follower.is_local:
            reject = _answer(fed, "Reject", target, follower, follow_id)
            await publish(conn, fed.settings, fed.keyring, target, reject, inboxes=[follower.inbox_url])
    return True
