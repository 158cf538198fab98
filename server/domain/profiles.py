"""A resident edits their profile, or chooses to approve new followers by hand; the change
federates as Update{Person} (Update{Organization}) carrying the whole actor document."""

from __future__ import annotations

from server.domain.federation_context import Federating
from server.domain.neighbourhoods import actor_update
from server.domain.publish import publish
from server.storage import account_admin as account_store
from server.storage import actors as actor_store
from server.storage.actors import ActorRow
from server.storage.pool import Connection


async def update_profile(fed: Federating, actor: ActorRow, name: str, summary_html: str) -> None:
    async with fed.pool.acquire() as conn, conn.transaction():
        await account_store.update_profile(conn, actor.id, name, summary_html)
        await _announce_update(fed, conn, actor)


async def set_follower_approval(fed: Federating, actor: ActorRow, by_hand: bool) -> bool:
    """New follows of `actor` wait for its answer (`by_hand`), or are accepted at once.
    Follows already waiting stay waiting either way: the resident answers them on the
    follow requests page. False when nothing changed (no Update is sent then)."""
    async with fed.pool.acquire() as conn, conn.transaction():
        if not await actor_store.set_manually_approves(conn, actor.id, by_hand):
            return False
        await _announce_update(fed, conn, actor)
    return True


async def _announce_update(fed: Federating, conn: Connection, actor: ActorRow) -> None:
    """Update{actor} with the document as it is now, to the actor's followers."""
    updated = await actor_store.actor_by_id(conn, actor.id)
    assert updated is not None
    await publish(
        conn, fed.settings, fed.keyring, updated, await actor_update(conn, updated, fed.settings), to_followers=True
    )
