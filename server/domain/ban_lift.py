"""Lifting a neighbourhood ban: a moderator takes a member off the ban list (they may ask to
join again; no membership comes back by itself), the lifting is written to the moderation
log, and a remote member's server gets Undo{Block} for the group's Block."""

from __future__ import annotations

from typing import Any

from server.domain.federation_context import Federating
from server.domain.membership import require_moderator
from server.domain.publish import new_activity_id, publish
from server.storage import ban_lifts, instance_policy
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow

AS = "https://www.w3.org/ns/activitystreams"


async def lift_ban(fed: Federating, moderator: ActorRow, group: ActorRow, member: ActorRow) -> bool:
    """False when the member was not banned. Raises membership.NotAllowed for a non-moderator."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        if not await membership_store.unban(conn, group.id, member.id):
            return False
        await instance_policy.log_action(conn, moderator.id, "unban_member", member.ap_id, group_id=group.id)
        block_id = None if member.is_local else await ban_lifts.last_block_sent(conn, group.id, member.ap_id)
        if block_id is not None:
            undo: dict[str, Any] = {
                "@context": AS,
                "id": new_activity_id(fed.settings),
                "type": "Undo",
                "actor": group.ap_id,
                "object": {"id": block_id, "type": "Block", "actor": group.ap_id, "object": member.ap_id},
                "to": [member.ap_id],
            }
            await publish(conn, fed.settings, fed.keyring, group, undo, inboxes=[member.inbox_url])
    return True
