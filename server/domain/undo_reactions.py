"""Taking back a like or a boost: the reaction goes here and `Undo{Like}` / `Undo{Announce}`
(with the original activity embedded, as Mastodon sends it) goes where the reaction went —
the post's author on another server, and for a boost the actor's followers too."""

from __future__ import annotations

from typing import Any

from activitypub.terms import PUBLIC
from server.domain.federation_context import Federating
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import own_reactions
from server.storage.actors import ActorRow

AS = "https://www.w3.org/ns/activitystreams"
KINDS = ("Like", "Announce")


async def undo_reaction(fed: Federating, actor: ActorRow, object_id: str, kind: str) -> bool:
    """Undo the actor's `kind` of the object; False when there was none to undo."""
    if kind not in KINDS:
        raise ValueError(kind)
    reaction_id = await own_reactions.reaction_id(fed.pool, actor.id, kind, object_id)
    if reaction_id is None:
        return False
    target = await object_store.object_by_ap_id(fed.pool, object_id)
    author_id = target.attributed_to if target is not None else None
    author = await actor_store.actor_by_ap_id(fed.pool, author_id) if author_id else None
    followers = actor.followers_url or actor.ap_id + "/followers"
    original: dict[str, Any] = {"id": reaction_id, "type": kind, "actor": actor.ap_id, "object": object_id}
    undo: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Undo",
        "actor": actor.ap_id,
        "object": original,
        "to": [PUBLIC] if kind == "Announce" else [author_id] if author_id else [],
        "cc": [x for x in (author_id, followers) if x] if kind == "Announce" else [],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        if not await object_store.remove_reaction(conn, reaction_id, actor.id):
            return False  # undone meanwhile (a second click)
        inboxes = [author.inbox_url] if author is not None and not author.is_local else []
        await publish(conn, fed.settings, fed.keyring, actor, undo, inboxes=inboxes, to_followers=kind == "Announce")
    return True
