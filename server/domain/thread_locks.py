"""Locking threads in our own neighbourhoods: a moderator closes a post to new replies, and
opens it again. Sent in Lemmy's shape: the moderator's own signed
`Lock{object: post, audience: group}` (and `Undo{Lock}`), announced unchanged by the group
to its followers (to its members only for a members-only post). The lock is kept in
table locked_posts, like a lock received from a remote group: our residents' replies to
it are refused, and no neighbourhood of ours announces a reply to it.

A remote moderator of our neighbourhood (a remote member given the moderator role) locks
the same way by sending their own `Lock` (server.handlers.group_thread_locks): it is
applied as a local moderator's lock and the group announces it unchanged, as received.
"""

from __future__ import annotations

from typing import Any

from activitypub.jsonld import get_id
from activitypub.terms import PUBLIC
from server.domain.federation_context import Federating
from server.domain.group_posts import announce_document, is_members_only_for, publish_announce
from server.domain.membership import NotAllowed, require_moderator
from server.domain.moderation import moderator_activity
from server.domain.publish import new_activity_id, publish
from server.storage import group_federation as group_store
from server.storage import instance_policy
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage import thread_locks as lock_store
from server.storage.actors import ActorRow, Db
from server.storage.pool import Connection

AS = "https://www.w3.org/ns/activitystreams"


class ThreadLocked(NotAllowed):
    """A reply to a post whose thread is locked."""


async def refuse_reply_to_locked(db: Db, in_reply_to: str | None) -> None:
    """Raise ThreadLocked when `in_reply_to` names a locked post."""
    if in_reply_to and await group_store.is_locked(db, in_reply_to):
        raise ThreadLocked(f"{in_reply_to} is locked: replies are closed")


def lock_document(
    fed: Federating, moderator: ActorRow, group: ActorRow, object_ap_id: str, reason: str
) -> dict[str, Any]:
    return moderator_activity(fed, "Lock", moderator, group, object_ap_id, reason)


async def _announce(
    conn: Connection, fed: Federating, group: ActorRow, post_ap_id: str, signed: dict[str, Any]
) -> None:
    post = await object_store.object_by_ap_id(conn, post_ap_id)
    members_only = post is not None and is_members_only_for(post, group.ap_id)
    await publish_announce(conn, fed, group, announce_document(fed, group, signed, members_only=members_only))


def _require_received(moderator: ActorRow, received: dict[str, Any] | None) -> None:
    if not moderator.is_local and received is None:
        raise NotAllowed("a remote moderator's lock or unlock arrives as their own activity")


async def lock_thread(
    fed: Federating,
    moderator: ActorRow,
    group: ActorRow,
    object_ap_id: str,
    reason: str = "",
    *,
    received: dict[str, Any] | None = None,
) -> bool:
    """Lock a post of our neighbourhood; False when it was locked already. NotAllowed for
    anyone but the neighbourhood's moderators, and for a post that is not in it. A remote
    moderator's lock is `received`: their Lock as it arrived, announced unchanged."""
    _require_received(moderator, received)
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        if group.id not in await neighbourhood_store.groups_of_object(conn, object_ap_id):
            raise NotAllowed(f"{object_ap_id} is not a post of {group.ap_id}")
        lock = received if received is not None else lock_document(fed, moderator, group, object_ap_id, reason)
        if not await group_store.lock_post(conn, object_ap_id, group.id, moderator.ap_id, get_id(lock)):
            return False
        await instance_policy.log_action(
            conn, moderator.id, "lock_post", object_ap_id, group_id=group.id, reason=reason
        )
        signed = received if received is not None else await publish(conn, fed.settings, fed.keyring, moderator, lock)
        await _announce(conn, fed, group, object_ap_id, signed)
    return True


async def unlock_thread(
    fed: Federating,
    moderator: ActorRow,
    group: ActorRow,
    object_ap_id: str,
    *,
    received: dict[str, Any] | None = None,
) -> bool:
    """Lift a lock our neighbourhood put on a post: `Undo{the Lock}` by the moderator,
    announced by the group. False when the group had not locked it. A remote moderator's
    unlock is `received`: their Undo{Lock} as it arrived, announced unchanged."""
    _require_received(moderator, received)
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        current = await lock_store.lock_of(conn, object_ap_id)
        if current is None or current.group_id != group.id:
            return False
        if received is not None:
            await group_store.unlock_post(conn, object_ap_id, group.id)
            await instance_policy.log_action(conn, moderator.id, "unlock_post", object_ap_id, group_id=group.id)
            await _announce(conn, fed, group, object_ap_id, received)
            return True
        stored = await object_store.outgoing_activity_document(conn, current.activity_id or "")
        lock = (
            {k: v for k, v in stored.items() if k not in ("@context", "proof")}
            if stored is not None and stored.get("type") == "Lock"
            else {k: v for k, v in lock_document(fed, moderator, group, object_ap_id, "").items() if k != "@context"}
        )
        undo = {
            "@context": AS,
            "id": new_activity_id(fed.settings),
            "type": "Undo",
            "actor": moderator.ap_id,
            "object": lock,
            "to": [PUBLIC],
            "cc": [group.ap_id],
            "audience": group.ap_id,
        }
        await group_store.unlock_post(conn, object_ap_id, group.id)
        await instance_policy.log_action(conn, moderator.id, "unlock_post", object_ap_id, group_id=group.id)
        signed = await publish(conn, fed.settings, fed.keyring, moderator, undo)
        await _announce(conn, fed, group, object_ap_id, signed)
    return True
