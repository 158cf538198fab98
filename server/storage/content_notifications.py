"""SQL for the notifications content features make: who organises an event (a resident,
or a neighbourhood's local moderators), the instance admins, and a notification renewed
at most once per interval (new votes in a poll)."""

from __future__ import annotations

from server.storage.actors import Db
from server.storage.memberships import MODERATING_ROLES


async def local_moderator_ids(db: Db, group_id: int) -> list[int]:
    """Local actors who moderate (or administer) the group, oldest membership first."""
    rows = await db.fetch(
        """SELECT a.id FROM memberships m JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND m.state = 'accepted' AND m.role = ANY($2::text[]) AND a.is_local
           ORDER BY m.id LIMIT 100""",
        group_id,
        list(MODERATING_ROLES),
    )
    return [int(r["id"]) for r in rows]


async def organiser_ids(db: Db, actor_id: int) -> list[int]:
    """Who hears about an actor's event or poll: a resident themselves; for a neighbourhood
    (Group), its local moderators."""
    kind = await db.fetchval("SELECT kind FROM actors WHERE id = $1", actor_id)
    if kind == "Group":
        return await local_moderator_ids(db, actor_id)
    return [actor_id] if kind is not None else []


async def admin_actor_ids(db: Db) -> list[int]:
    """The actors of the instance's administrators (active accounts)."""
    rows = await db.fetch("SELECT actor_id FROM accounts WHERE is_admin AND state = 'active' ORDER BY id LIMIT 100")
    return [int(r["actor_id"]) for r in rows]


async def renew_notification(db: Db, recipient_id: int, kind: str, object_ap_id: str, within_seconds: float) -> bool:
    """One notification without an actor about `object_ap_id`: made when none exists,
    made again (new, unread) when the last one is older than `within_seconds`, else left
    alone. Call it in a transaction. True when a notification was made."""
    recent = await db.fetchval(
        """SELECT EXISTS (SELECT 1 FROM notifications WHERE recipient_id = $1 AND kind = $2
               AND actor_id IS NULL AND object_ap_id = $3
               AND created_at > now() - make_interval(secs => $4))""",
        recipient_id,
        kind,
        object_ap_id,
        within_seconds,
    )
    if recent:
        return False
    await db.execute(
        "DELETE FROM notifications WHERE recipient_id = $1 AND kind = $2 AND actor_id IS NULL AND object_ap_id = $3",
        recipient_id,
        kind,
        object_ap_id,
    )
    created = await db.fetchval(
        """INSERT INTO notifications (recipient_id, kind, actor_id, object_ap_id)
           SELECT $1, $2, NULL, $3 FROM actors r WHERE r.id = $1 AND r.is_local
           ON CONFLICT DO NOTHING RETURNING id""",
        recipient_id,
        kind,
        object_ap_id,
    )
    return created is not None
