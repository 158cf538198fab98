"""A resident edits their profile; the change federates as Update{Person}."""

from __future__ import annotations

from typing import Any

from activitypub.terms import PUBLIC
from server.convert.to_as import actor_document
from server.domain.federation_context import Federating
from server.domain.publish import new_activity_id, publish
from server.storage import account_admin as account_store
from server.storage import actors as actor_store
from server.storage.actors import ActorRow


async def update_profile(fed: Federating, actor: ActorRow, name: str, summary_html: str) -> None:
    async with fed.pool.acquire() as conn, conn.transaction():
        await account_store.update_profile(conn, actor.id, name, summary_html)
        found = await actor_store.local_actor_with_keys(conn, actor.username)
        assert found is not None
        updated, keys = found
        document = actor_document(updated, keys, fed.settings)
        update: dict[str, Any] = {
            "@context": document.get("@context", "https://www.w3.org/ns/activitystreams"),
            "id": new_activity_id(fed.settings),
            "type": "Update",
            "actor": actor.ap_id,
            "object": {k: v for k, v in document.items() if k != "@context"},
            "to": [PUBLIC],
            "cc": [actor.followers_url or actor.ap_id + "/followers"],
        }
        await publish(conn, fed.settings, fed.keyring, updated, update, to_followers=True)
