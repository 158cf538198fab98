"""Key rotation: an actor gets new RSA and Ed25519 keys under new key ids, and tells its
followers with Update{actor}, carrying the whole actor document as GET /actors/{name}
serves it (a neighbourhood's with its area, `location`). Receivers meet an unknown key id,
fetch the actor and find the new keys there; the old ones stop verifying at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from server.domain.actors import generate_keys
from server.domain.federation_context import Federating
from server.domain.neighbourhoods import actor_update
from server.domain.publish import publish
from server.storage import actors as actor_store
from server.storage.actors import ActorRow


async def rotate_keys(fed: Federating, actor: ActorRow) -> str:
    """Replace the actor's keys; returns the new RSA key id."""
    generated = await asyncio.to_thread(generate_keys)
    suffix = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    rsa_id, ed_id = f"{actor.ap_id}#main-key-{suffix}", f"{actor.ap_id}#ed25519-key-{suffix}"
    async with fed.pool.acquire() as conn, conn.transaction():
        await actor_store.delete_keys(conn, actor.id)
        await actor_store.insert_local_key(
            conn, rsa_id, actor.id, "rsa", generated.rsa_public_pem, generated.rsa_private_pem
        )
        await actor_store.insert_local_key(
            conn, ed_id, actor.id, "ed25519", generated.ed_public_pem, generated.ed_private_pem
        )
    fed.keyring.forget(actor.id)
    update = await actor_update(fed.pool, actor, fed.settings)
    async with fed.pool.acquire() as conn, conn.transaction():
        await publish(conn, fed.settings, fed.keyring, actor, update, to_followers=True)
    return rsa_id
