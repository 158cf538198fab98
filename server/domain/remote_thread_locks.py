"""Locking threads of REMOTE neighbourhoods (Group actors on other servers, Lemmy
communities) that one of our residents moderates: the resident's own signed
`Lock{actor: resident, object: post, to: Public, cc: group, audience: group, summary:
reason}` (and `Undo{Lock}`) goes to the group's inbox through the normal outgoing delivery.
Nothing changes here until the group announces it back: server.handlers.group_moderation
then applies it like any Lock the group announces.

Who moderates a remote group is what the group publishes (FEP-1b12, as Lemmy and our own
neighbourhoods do): its `attributedTo`, inline or a collection on the group's own server
(`orderedItems` or `items`, pages are not followed). The list is fetched when needed and
kept in memory for MODERATORS_TTL; the post page looks it up only for groups the reader is
an accepted member of, and a lock or unlock fetches it again before anything is sent.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from activitypub.jsonld import as_list, get_id, same_origin
from activitypub.terms import PUBLIC
from server.domain.federation_context import Federating
from server.domain.membership import NotAllowed
from server.domain.publish import new_activity_id, publish
from server.domain.thread_locks import AS, lock_document
from server.remote import RemoteActors
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage import thread_locks as lock_store
from server.storage.actors import ActorRow

MODERATORS_TTL = 300.0  # seconds a remote group's moderators list is reused
CACHE_SIZE = 1000  # remote groups whose moderators are kept in memory
MAX_MODERATORS = 200

_moderators: OrderedDict[str, tuple[float, frozenset[str]]] = OrderedDict()


async def fetch_group_moderators(remote: RemoteActors, group_ap_id: str) -> frozenset[str] | None:
    """The moderators a remote group lists in `attributedTo` (inline, or a collection on
    the group's own server), fetched now; None when its documents cannot be had."""
    document = await remote.fetch_document(group_ap_id)
    if document is None:
        return None
    value = document.get("attributedTo")
    if isinstance(value, str):
        collection = await remote.fetch_document(value) if same_origin(value, group_ap_id) else None
        if collection is None:
            return None
        value = collection.get("orderedItems", collection.get("items"))
    return frozenset(i for i in (get_id(v) for v in as_list(value)[:MAX_MODERATORS]) if i)


async def group_moderators(remote: RemoteActors, group_ap_id: str, *, fresh: bool = False) -> frozenset[str]:
    """The ap_ids of a remote group's moderators, from memory when younger than
    MODERATORS_TTL (unless `fresh`). When the group cannot be reached the last list known is
    kept (an empty one if none), and asked again after MODERATORS_TTL."""
    now = time.monotonic()
    cached = _moderators.get(group_ap_id)
    if cached is not None and not fresh and now - cached[0] < MODERATORS_TTL:
        return cached[1]
    fetched = await fetch_group_moderators(remote, group_ap_id)
    found = fetched if fetched is not None else (cached[1] if cached is not None else frozenset())
    _moderators[group_ap_id] = (now, found)
    _moderators.move_to_end(group_ap_id)
    while len(_moderators) > CACHE_SIZE:
        _moderators.popitem(last=False)
    return found


def forget_moderators(group_ap_id: str | None = None) -> None:
    """Drop the remembered moderators of one group (or of all)."""
    if group_ap_id is None:
        _moderators.clear()
    else:
        _moderators.pop(group_ap_id, None)


async def lockable_remote_groups(fed: Federating, object_ap_id: str, resident: ActorRow) -> dict[int, str]:
    """{actor id: ap_id} of the remote groups the post is in that the resident is a member
    and a listed moderator of."""
    joined = await lock_store.joined_remote_groups_of_object(fed.pool, object_ap_id, resident.id)
    return {
        group_id: ap_id for group_id, ap_id in joined if resident.ap_id in await group_moderators(fed.remote, ap_id)
    }


async def _require_remote_moderator(fed: Federating, resident: ActorRow, group: ActorRow, object_ap_id: str) -> None:
    if not resident.is_local or group.is_local or group.kind != "Group" or group.gone_at is not None:
        raise NotAllowed("only our residents lock threads of remote neighbourhoods this way")
    if group.id not in await neighbourhood_store.groups_of_object(fed.pool, object_ap_id):
        raise NotAllowed(f"{object_ap_id} is not a post of {group.ap_id}")
    post = await object_store.object_by_ap_id(fed.pool, object_ap_id)
    if post is None or post.in_reply_to is not None:
        raise NotAllowed("a remote neighbourhood's thread is locked at its first post, not at a reply")
    if resident.ap_id not in await group_moderators(fed.remote, group.ap_id, fresh=True):
        raise NotAllowed(f"{resident.ap_id} is not a moderator of {group.ap_id}")


async def send_lock(fed: Federating, resident: ActorRow, group: ActorRow, object_ap_id: str, reason: str = "") -> bool:
    """Send the resident's Lock of a post to the remote group; False (nothing sent) when the
    group has locked it already. NotAllowed unless the group lists the resident as moderator
    and the post is in the group."""
    await _require_remote_moderator(fed, resident, group, object_ap_id)
    current = await lock_store.lock_of(fed.pool, object_ap_id)
    if current is not None and current.group_id == group.id:
        return False
    async with fed.pool.acquire() as conn, conn.transaction():
        await publish(
            conn,
            fed.settings,
            fed.keyring,
            resident,
            lock_document(fed, resident, group, object_ap_id, reason),
            inboxes=[group.delivery_inbox],
        )
    return True


async def send_unlock(fed: Federating, resident: ActorRow, group: ActorRow, object_ap_id: str) -> bool:
    """Send `Undo{Lock}` of the group's lock on a post to the remote group: the Lock as we
    sent it when the lock is ours, else a new Lock by the resident (as Lemmy does). False
    (nothing sent) when the group has not locked the post. NotAllowed as for send_lock."""
    await _require_remote_moderator(fed, resident, group, object_ap_id)
    current = await lock_store.lock_of(fed.pool, object_ap_id)
    if current is None or current.group_id != group.id:
        return False
    async with fed.pool.acquire() as conn, conn.transaction():
        stored = await object_store.outgoing_activity_document(conn, current.activity_id or "")
        lock: dict[str, Any] = (
            stored
            if stored is not None and stored.get("type") == "Lock" and get_id(stored.get("actor")) == resident.ap_id
            else lock_document(fed, resident, group, object_ap_id, "")
        )
        undo = {
            "@context": AS,
            "id": new_activity_id(fed.settings),
            "type": "Undo",
            "actor": resident.ap_id,
            "object": {k: v for k, v in lock.items() if k not in ("@context", "proof")},
            "to": [PUBLIC],
            "cc": [group.ap_id],
            "audience": group.ap_id,
        }
        await publish(conn, fed.settings, fed.keyring, resident, undo, inboxes=[group.delivery_inbox])
    return True
