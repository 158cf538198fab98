"""SQL for notifications: one row per (recipient, kind, actor, object), never twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import affected
from server.storage.visibility import visible_to

MAX_PAGE = 100


@dataclass(frozen=True)
class NotificationRow:
    id: int
    kind: str
    actor_ap_id: str | None
    actor_name: str | None
    object_ap_id: str | None
    object_content: str | None  # only when the recipient may read the object
    created_at: datetime
    read_at: datetime | None


async def insert_notification(
    db: Db,
    recipient_id: int,
    kind: str,
    actor_id: int | None,
    object_ap_id: str | None,
    *,
    unless_limited: bool = False,
) -> bool:
    """Record a notification for a LOCAL recipient (others are ignored); False when it
    exists already, the recipient is not local, or the actor is the recipient. With
    `unless_limited`, also False when the actor is on a limited domain and the recipient
    does not follow it."""
    status = await db.execute(
        """INSERT INTO notifications (recipient_id, kind, actor_id, object_ap_id)
           SELECT $1, $2, $3, $4 FROM actors r
           WHERE r.id = $1 AND r.is_local AND $3::bigint IS DISTINCT FROM $1
             AND NOT EXISTS (SELECT 1 FROM actor_blocks b WHERE b.blocker_id = $1 AND b.blocked_id = $3)
             AND NOT ($5::boolean AND EXISTS (
                 SELECT 1 FROM actors lim_a WHERE lim_a.id = $3 AND lim_a.on_limited_domain
                   AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followed_id = $3
                                   AND f.state = 'accepted')))
           ON CONFLICT DO NOTHING""",
        recipient_id,
        kind,
        actor_id,
        object_ap_id,
        unless_limited,
    )
    return affected(status) == 1


async def notifications_for(
    db: Db, recipient_id: int, *, limit: int = 30, before: int | None = None
) -> list[NotificationRow]:
    """Newest first. A notification about an object the recipient may not (or no longer)
    read — deleted, or not addressed to them — is left out; unknown objects are kept."""
    rows = await db.fetch(
        f"""SELECT n.id, n.kind, a.ap_id AS actor_ap_id, a.name AS actor_name, n.object_ap_id,
                   o.content AS object_content, n.created_at, n.read_at
            FROM notifications n
            LEFT JOIN actors a ON a.id = n.actor_id
            LEFT JOIN objects o ON o.ap_id = n.object_ap_id
            WHERE n.recipient_id = $1 AND ($2::bigint IS NULL OR n.id < $2)
              AND (o.id IS NULL OR {visible_to("o", "$1")})
              AND (n.actor_id IS NULL OR NOT EXISTS (SELECT 1 FROM actor_blocks b
                   WHERE b.blocker_id = $1 AND b.blocked_id = n.actor_id))
            ORDER BY n.id DESC LIMIT $3""",
        recipient_id,
        before,
        max(1, min(limit, MAX_PAGE)),
    )
    return [NotificationRow(**dict(r)) for r in rows]


async def delete_notifications_about(db: Db, recipient_id: int, kind: str, object_ap_id: str) -> int:
    """Forget the recipient's notifications of `kind` about an object (e.g. an invitation
    taken back); returns how many went."""
    status = await db.execute(
        "DELETE FROM notifications WHERE recipient_id = $1 AND kind = $2 AND object_ap_id = $3",
        recipient_id,
        kind,
        object_ap_id,
    )
    return affected(status)


async def count_unread(db: Db, recipient_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL", recipient_id
        )
    )


async def mark_read(db: Db, recipient_id: int, up_to: int) -> int:
    status = await db.execute(
        "UPDATE notifications SET read_at = now() WHERE recipient_id = $1 AND id <= $2 AND read_at IS NULL",
        recipient_id,
        up_to,
    )
    return affected(status)
