"""Lifting a neighbourhood ban: a moderator takes a member off the ban list (they may ask to
join again; no membership comes back by itself), the lifting is written to the moderation
log, and a remote member's server gets Undo{Block} for the group's Block.

A ban with an end (`banned_until`, from a remote moderator's Lemmy `endTime`) counts as
lifted from that moment on (server/storage/memberships.py skips it); `end_expired_bans`,
run by server/ban_expiry_task.py, then does the rest as a lifting does: the row goes, the
log gets `ban_expired` (no moderator) and a remote member's server gets the Undo{Block}."""

from __future__ import annotations

from typing import Any

from server.domain.federation_context import Federating
from server.domain.membership import require_moderator
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import ban_lifts, instance_policy
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow
from server.storage.pool import Connection

AS = "https://www.w3.org/ns/activitystreams"


async def lift_ban(fed: Federating, moderator: ActorRow, group: ActorRow, member: ActorRow) -> bool:
    """False when the member was not banned. Raises membership.NotAllowed for a non-moderator."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        if not await membership_store.unban(conn, group.id, member.id):
            return False
        await instance_policy.log_action(conn, moderator.id, "unban_member", member.ap_id, group_id=group.id)
        await _undo_block(conn, fed, group, member)
    return True


async def _undo_block(conn: Connection, fed: Federating, group: ActorRow, member: ActorRow) -> None:
    """Undo{Block} for the group's newest Block of a remote member, to the member's server."""
    block_id = None if member.is_local else await ban_lifts.last_block_sent(conn, group.id, member.ap_id)
    if block_id is None:
        return
    undo: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Undo",
        "actor": group.ap_id,
        "object": {"id": block_id, "type": "Block", "actor": group.ap_id, "object": member.ap_id},
        "to": [member.ap_id],
    }
    await publish(conn, fed.settings, fed.keyring, group, undo, inboxes=[member.inbox_url])


EXPIRED_AT_ONCE = 100


async def end_expired_bans(fed: Federating) -> int:
    """One batch of bans whose end has passed, ended as a lifting ends them; how many.
    The claim skips rows another process holds, so each ban is ended once."""
    async with fed.pool.acquire() as conn, conn.transaction():
        expired = await membership_store.claim_expired_bans(conn, EXPIRED_AT_ONCE)
        for ban in expired:
            group = await actor_store.actor_by_id(conn, ban.group_id)
            member = await actor_store.actor_by_id(conn, ban.member_id)
            if group is None or member is None:
                continue
            await instance_policy.log_action(
                conn, None, "ban_expired", member.ap_id, group_id=group.id, reason=ban.banned_until.isoformat()
            )
            await _undo_block(conn, fed, group, member)
    return len(expired)
