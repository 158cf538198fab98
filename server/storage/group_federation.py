"""SQL for how a neighbourhood federates beyond its followers: the inboxes of its members
(members-only posts), the public Announces its outbox lists, and the posts locked in it
(table locked_posts, migration 0012)."""

from __future__ import annotations

from typing import Any

from server.storage.actors import Db
from server.storage.pool import affected


async def member_inboxes(db: Db, group_id: int) -> list[str]:
    """One inbox per remote member who is accepted AND subscribed (an accepted follow),
    the shared inbox where there is one, deduplicated. Plain followers are not members."""
    rows = await db.fetch(
        """SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox
           FROM memberships m
           JOIN follows f ON f.follower_id = m.member_id AND f.followed_id = m.group_id
           JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND m.state = 'accepted' AND f.state = 'accepted'
             AND NOT a.is_local AND a.gone_at IS NULL""",
        group_id,
    )
    return [str(r["inbox"]) for r in rows]


_ANNOUNCES = """FROM group_posts g
    JOIN objects o ON o.id = g.object_id
    JOIN outgoing_activities oa ON oa.ap_id = g.announce_id
    WHERE g.group_id = $1 AND g.state = 'announced' AND o.deleted_at IS NULL
      AND o.visibility = 'public' AND oa.actor_id = $1"""


async def announces_page(db: Db, group_id: int, limit: int, before: int | None) -> list[tuple[int, dict[str, Any]]]:
    """(post id, the Announce as sent) of the group's public announced posts, newest first,
    those with a post id below `before` when given."""
    rows = await db.fetch(
        f"""SELECT o.id, oa.document {_ANNOUNCES}
              AND ($2::bigint IS NULL OR o.id < $2) ORDER BY o.id DESC LIMIT $3""",
        group_id,
        before,
        limit,
    )
    return [(int(r["id"]), dict(r["document"])) for r in rows]


async def announces_page_after(db: Db, group_id: int, limit: int, after: int) -> list[tuple[int, dict[str, Any]]]:
    """The page just before a keyset position: post ids above `after`, newest first."""
    rows = await db.fetch(
        f"""SELECT * FROM (SELECT o.id, oa.document {_ANNOUNCES} AND o.id > $2
                ORDER BY o.id ASC LIMIT $3) page ORDER BY id DESC""",
        group_id,
        after,
        limit,
    )
    return [(int(r["id"]), dict(r["document"])) for r in rows]


async def count_announces(db: Db, group_id: int) -> int:
    return int(await db.fetchval(f"SELECT count(*) {_ANNOUNCES}", group_id))


async def lock_post(db: Db, object_ap_id: str, group_id: int, locked_by: str, activity_id: str | None) -> bool:
    """Mark a post locked in a group; False when it was locked already."""
    status = await db.execute(
        """INSERT INTO locked_posts (object_ap_id, group_id, locked_by, activity_id)
           VALUES ($1, $2, $3, $4) ON CONFLICT (object_ap_id) DO NOTHING""",
        object_ap_id,
        group_id,
        locked_by,
        activity_id,
    )
    return affected(status) == 1


async def unlock_post(db: Db, object_ap_id: str, group_id: int) -> bool:
    status = await db.execute(
        "DELETE FROM locked_posts WHERE object_ap_id = $1 AND group_id = $2", object_ap_id, group_id
    )
    return affected(status) == 1


MAX_THREAD_DEPTH = 50


async def is_locked(db: Db, object_ap_id: str) -> bool:
    """Whether the post, or a post it replies to (up the thread, at most MAX_THREAD_DEPTH
    steps), is locked: a lock closes the whole conversation below the locked post."""
    return bool(
        await db.fetchval(
            """WITH RECURSIVE up (in_reply_to, depth) AS (
                   SELECT in_reply_to, 0 FROM objects WHERE ap_id = $1
                   UNION ALL
                   SELECT o.in_reply_to, up.depth + 1 FROM objects o JOIN up ON o.ap_id = up.in_reply_to
                   WHERE up.depth < $2)
               SELECT EXISTS (SELECT 1 FROM locked_posts WHERE object_ap_id = $1
                              OR object_ap_id IN (SELECT in_reply_to FROM up WHERE in_reply_to IS NOT NULL))""",
            object_ap_id,
            MAX_THREAD_DEPTH,
        )
    )
