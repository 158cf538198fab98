"""SQL for reading thread locks (table locked_posts, migration 0012): which group locked a
post, who locked it and with which activity, the local neighbourhoods a viewer moderates
that a post belongs to, and the remote ones the viewer is a member of. Locking and
unlocking themselves are in server/storage/group_federation.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db


@dataclass(frozen=True)
class LockRow:
    object_ap_id: str
    group_id: int
    group_ap_id: str
    locked_by: str
    activity_id: str | None
    locked_at: datetime


async def lock_of(db: Db, object_ap_id: str) -> LockRow | None:
    """The lock on a post, or None when it is open."""
    row = await db.fetchrow(
        """SELECT l.object_ap_id, l.group_id, a.ap_id AS group_ap_id, l.locked_by, l.activity_id, l.locked_at
           FROM locked_posts l JOIN actors a ON a.id = l.group_id WHERE l.object_ap_id = $1""",
        object_ap_id,
    )
    return LockRow(**dict(row)) if row else None


async def moderated_groups_of_object(db: Db, object_ap_id: str, viewer_id: int) -> list[tuple[int, str]]:
    """(actor id, username) of our neighbourhoods the post belongs to in which the viewer is
    an accepted moderator or admin."""
    rows = await db.fetch(
        """SELECT DISTINCT g.group_id, a.username FROM group_posts g
           JOIN objects o ON o.id = g.object_id
           JOIN actors a ON a.id = g.group_id AND a.is_local
           JOIN memberships m ON m.group_id = g.group_id AND m.member_id = $2
           WHERE o.ap_id = $1 AND m.state = 'accepted' AND m.role IN ('moderator', 'admin')
           ORDER BY g.group_id""",
        object_ap_id,
        viewer_id,
    )
    return [(int(r["group_id"]), str(r["username"])) for r in rows]


async def lock_by_activity(db: Db, activity_id: str) -> LockRow | None:
    """The lock that a Lock activity (by its id) put on a post, or None."""
    row = await db.fetchrow(
        """SELECT l.object_ap_id, l.group_id, a.ap_id AS group_ap_id, l.locked_by, l.activity_id, l.locked_at
           FROM locked_posts l JOIN actors a ON a.id = l.group_id WHERE l.activity_id = $1""",
        activity_id,
    )
    return LockRow(**dict(row)) if row else None


async def joined_remote_groups_of_object(db: Db, object_ap_id: str, viewer_id: int) -> list[tuple[int, str]]:
    """(actor id, ap_id) of the remote neighbourhoods the post belongs to that the viewer is
    an accepted member of (only those can have made the viewer a moderator we look up)."""
    rows = await db.fetch(
        """SELECT DISTINCT g.group_id, a.ap_id FROM group_posts g
           JOIN objects o ON o.id = g.object_id
           JOIN actors a ON a.id = g.group_id AND NOT a.is_local AND a.kind = 'Group' AND a.gone_at IS NULL
           JOIN memberships m ON m.group_id = g.group_id AND m.member_id = $2
           WHERE o.ap_id = $1 AND m.state = 'accepted'
           ORDER BY g.group_id""",
        object_ap_id,
        viewer_id,
    )
    return [(int(r["group_id"]), str(r["ap_id"])) for r in rows]
