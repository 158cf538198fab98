"""SQL for follows (pending and accepted) and the inboxes of an actor's followers."""

from __future__ import annotations

from server.storage.actors import Db
from server.storage.pool import affected


async def upsert_follow(db: Db, ap_id: str, follower_id: int, followed_id: int, state: str) -> None:
    await db.execute(
        """INSERT INTO follows (ap_id, follower_id, followed_id, state) VALUES ($1, $2, $3, $4)
           ON CONFLICT (follower_id, followed_id)
           DO UPDATE SET ap_id = EXCLUDED.ap_id, state = EXCLUDED.state""",
        ap_id,
        follower_id,
        followed_id,
        state,
    )


async def follow_state(db: Db, follower_id: int, followed_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT state FROM follows WHERE follower_id = $1 AND followed_id = $2",
        follower_id,
        followed_id,
    )
    return str(value) if value is not None else None


async def follow_ap_id(db: Db, follower_id: int, followed_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT ap_id FROM follows WHERE follower_id = $1 AND followed_id = $2",
        follower_id,
        followed_id,
    )
    return str(value) if value is not None else None


async def accept_follow(db: Db, follower_id: int, followed_id: int) -> bool:
    status = await db.execute(
        """UPDATE follows SET state = 'accepted'
           WHERE follower_id = $1 AND followed_id = $2 AND state = 'pending'""",
        follower_id,
        followed_id,
    )
    return affected(status) == 1


async def delete_follow(db: Db, follower_id: int, followed_id: int) -> bool:
    status = await db.execute(
        "DELETE FROM follows WHERE follower_id = $1 AND followed_id = $2", follower_id, followed_id
    )
    return affected(status) == 1


async def follower_inboxes(db: Db, followed_id: int) -> list[str]:
    """One inbox per follower, the shared inbox where there is one, deduplicated; remote only."""
    rows = await db.fetch(
        """SELECT DISTINCT coalesce(a.shared_inbox_url, a.inbox_url) AS inbox
           FROM follows f JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 AND f.state = 'accepted' AND NOT a.is_local
             AND a.gone_at IS NULL""",
        followed_id,
    )
    return [r["inbox"] for r in rows]


async def follower_ids(db: Db, followed_id: int, limit: int, after: int = 0) -> list[tuple[int, str]]:
    rows = await db.fetch(
        """SELECT f.id, a.ap_id FROM follows f JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 AND f.state = 'accepted' AND f.id > $2 ORDER BY f.id LIMIT $3""",
        followed_id,
        after,
        limit,
    )
    return [(int(r["id"]), str(r["ap_id"])) for r in rows]


async def following_ids(db: Db, follower_id: int, limit: int, after: int = 0) -> list[tuple[int, str]]:
    rows = await db.fetch(
        """SELECT f.id, a.ap_id FROM follows f JOIN actors a ON a.id = f.followed_id
           WHERE f.follower_id = $1 AND f.state = 'accepted' AND f.id > $2 ORDER BY f.id LIMIT $3""",
        follower_id,
        after,
        limit,
    )
    return [(int(r["id"]), str(r["ap_id"])) for r in rows]


async def count_followers(db: Db, followed_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM follows WHERE followed_id = $1 AND state = 'accepted'",
            followed_id,
        )
    )


async def count_following(db: Db, follower_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM follows WHERE follower_id = $1 AND state = 'accepted'",
            follower_id,
        )
    )


async def move_followers(db: Db, old_id: int, new_id: int) -> int:
    """Point local follows of `old_id` at `new_id` (after a verified Move)."""
    status = await db.execute(
        """INSERT INTO follows (ap_id, follower_id, followed_id, state)
           SELECT f.ap_id || '#moved', f.follower_id, $2, f.state FROM follows f
           JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 AND a.is_local
           ON CONFLICT DO NOTHING""",
        old_id,
        new_id,
    )
    return affected(status)


async def follow_by_ap_id(db: Db, ap_id: str) -> tuple[int, int] | None:
    """(follower id, followed id) of the follow with this activity id."""
    row = await db.fetchrow("SELECT follower_id, followed_id FROM follows WHERE ap_id = $1", ap_id)
    return (int(row["follower_id"]), int(row["followed_id"])) if row else None


async def delete_all_follows_of(db: Db, actor_id: int) -> None:
    await db.execute("DELETE FROM follows WHERE follower_id = $1 OR followed_id = $1", actor_id)


# --- read side (followers/following collection pages before a keyset position) ------------


async def follower_ids_before(db: Db, followed_id: int, limit: int, before: int) -> list[tuple[int, str]]:
    """Accepted followers with a follow id below `before`, in ascending order."""
    rows = await db.fetch(
        """SELECT * FROM (SELECT f.id, a.ap_id FROM follows f JOIN actors a ON a.id = f.follower_id
               WHERE f.followed_id = $1 AND f.state = 'accepted' AND f.id < $2
               ORDER BY f.id DESC LIMIT $3) page ORDER BY id""",
        followed_id,
        before,
        limit,
    )
    return [(int(r["id"]), str(r["ap_id"])) for r in rows]


async def following_ids_before(db: Db, follower_id: int, limit: int, before: int) -> list[tuple[int, str]]:
    """Accepted followings with a follow id below `before`, in ascending order."""
    rows = await db.fetch(
        """SELECT * FROM (SELECT f.id, a.ap_id FROM follows f JOIN actors a ON a.id = f.followed_id
               WHERE f.follower_id = $1 AND f.state = 'accepted' AND f.id < $2
               ORDER BY f.id DESC LIMIT $3) page ORDER BY id""",
        follower_id,
        before,
        limit,
    )
    return [(int(r["id"]), str(r["ap_id"])) for r in rows]
