"""SQL for a neighbourhood's profile and modes, and for the posts that belong to a group
(queued for a moderator, announced, rejected or removed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage import instance_policy
from server.storage.actors import Db
from server.storage.pool import affected


@dataclass(frozen=True)
class NeighbourhoodRow:
    actor_id: int
    ap_id: str
    username: str
    name: str
    description: str
    area_name: str
    boundary: dict[str, Any] | None
    avatar_url: str | None
    banner_url: str | None
    membership_mode: str
    posting_mode: str
    timezone: str


# A Group whose actor approves followers manually is in approval mode whatever the column says.
_COLUMNS = """n.actor_id, a.ap_id, a.username, a.name, n.description, n.area_name, n.boundary,
    n.avatar_url, n.banner_url,
    CASE WHEN n.membership_mode = 'open' AND a.manually_approves THEN 'approval'
         ELSE n.membership_mode END AS membership_mode,
    n.posting_mode, n.timezone"""


async def neighbourhood_by_actor_id(db: Db, actor_id: int) -> NeighbourhoodRow | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM neighbourhoods n JOIN actors a ON a.id = n.actor_id WHERE n.actor_id = $1",
        actor_id,
    )
    return NeighbourhoodRow(**dict(row)) if row else None


async def local_groups_among(db: Db, ap_ids: list[str]) -> list[NeighbourhoodRow]:
    """The local neighbourhoods whose ids are in `ap_ids` (an object's addressees)."""
    if not ap_ids:
        return []
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM neighbourhoods n JOIN actors a ON a.id = n.actor_id
            WHERE a.ap_id = ANY($1::text[]) AND a.is_local ORDER BY n.actor_id""",
        ap_ids,
    )
    return [NeighbourhoodRow(**dict(r)) for r in rows]


async def update_profile(db: Db, actor_id: int, fields: dict[str, Any]) -> None:
    """Set neighbourhood columns (names checked by the caller against PROFILE_COLUMNS)."""
    names = [n for n in fields if n in PROFILE_COLUMNS]
    if not names:
        return
    assignments = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
    await db.execute(
        f"UPDATE neighbourhoods SET {assignments} WHERE actor_id = $1",
        actor_id,
        *(fields[n] for n in names),
    )


PROFILE_COLUMNS = frozenset(
    {"description", "area_name", "boundary", "avatar_url", "banner_url", "membership_mode", "posting_mode"}
)
ACTOR_COLUMNS = frozenset({"name", "summary", "icon_url", "image_url", "manually_approves"})


async def update_group_actor(db: Db, actor_id: int, fields: dict[str, Any]) -> None:
    """Mirror profile fields onto the actors row the actor document is built from."""
    names = [n for n in fields if n in ACTOR_COLUMNS]
    if not names:
        return
    assignments = ", ".join(f"{n} = ${i}" for i, n in enumerate(names, start=2))
    await db.execute(
        f"UPDATE actors SET {assignments}, updated_at = now() WHERE id = $1 AND is_local",
        actor_id,
        *(fields[n] for n in names),
    )


# --- posts that belong to a group ----------------------------------------------------------


@dataclass(frozen=True)
class GroupPostRow:
    group_id: int
    object_id: int
    object_ap_id: str
    author_ap_id: str
    state: str
    activity: dict[str, Any] | None
    announce_id: str | None
    created_at: datetime
    queued_update: dict[str, Any] | None = None  # the author's latest Update while queued


_POST_COLUMNS = """g.group_id, g.object_id, o.ap_id AS object_ap_id, o.attributed_to AS author_ap_id,
    g.state, g.activity, g.announce_id, g.created_at, g.queued_update"""


async def insert_group_post(
    db: Db,
    group_id: int,
    object_id: int,
    state: str,
    activity: dict[str, Any] | None = None,
    announce_id: str | None = None,
) -> bool:
    """Record that an object belongs to a group; False when it was known already."""
    status = await db.execute(
        """INSERT INTO group_posts (group_id, object_id, state, activity, announce_id, decided_at)
           VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 = 'queued' THEN NULL ELSE now() END)
           ON CONFLICT (group_id, object_id) DO NOTHING""",
        group_id,
        object_id,
        state,
        activity,
        announce_id,
    )
    return affected(status) == 1


async def group_post(db: Db, group_id: int, object_ap_id: str) -> GroupPostRow | None:
    row = await db.fetchrow(
        f"""SELECT {_POST_COLUMNS} FROM group_posts g JOIN objects o ON o.id = g.object_id
            WHERE g.group_id = $1 AND o.ap_id = $2""",
        group_id,
        object_ap_id,
    )
    return GroupPostRow(**dict(row)) if row else None


async def groups_of_object(db: Db, object_ap_id: str) -> list[int]:
    """The groups (local or remote) an object belongs to."""
    rows = await db.fetch(
        """SELECT g.group_id FROM group_posts g JOIN objects o ON o.id = g.object_id
           WHERE o.ap_id = $1 ORDER BY g.group_id""",
        object_ap_id,
    )
    return [int(r["group_id"]) for r in rows]


async def decide_group_post(
    db: Db, group_id: int, object_id: int, state: str, *, from_state: str, announce_id: str | None = None
) -> bool:
    status = await db.execute(
        """UPDATE group_posts SET state = $3, decided_at = now(), announce_id = coalesce($5, announce_id),
               approved = ($3 = 'announced' AND $4 = 'queued')
           WHERE group_id = $1 AND object_id = $2 AND state = $4""",
        group_id,
        object_id,
        state,
        from_state,
        announce_id,
    )
    return affected(status) == 1


async def keep_queued_update(db: Db, object_ap_id: str, update: dict[str, Any]) -> int:
    """The author's latest signed Update of a post while it is queued in groups (replacing
    an earlier one); how many queued rows kept it."""
    status = await db.execute(
        """UPDATE group_posts g SET queued_update = $2 FROM objects o
           WHERE o.id = g.object_id AND o.ap_id = $1 AND g.state = 'queued'""",
        object_ap_id,
        update,
    )
    return affected(status)


async def posts_of_author(db: Db, group_id: int, author_ap_id: str, limit: int) -> list[GroupPostRow]:
    """The author's newest `limit` posts in the group (any type: notes, replies, events)
    that are queued or announced, newest first."""
    rows = await db.fetch(
        f"""SELECT {_POST_COLUMNS} FROM group_posts g JOIN objects o ON o.id = g.object_id
            WHERE g.group_id = $1 AND o.attributed_to = $2 AND g.state IN ('queued', 'announced')
              AND o.deleted_at IS NULL
            ORDER BY g.created_at DESC, g.object_id DESC LIMIT $3""",
        group_id,
        author_ap_id,
        limit,
    )
    return [GroupPostRow(**dict(r)) for r in rows]


async def queued_posts(db: Db, group_id: int, limit: int = 100) -> list[GroupPostRow]:
    rows = await db.fetch(
        f"""SELECT {_POST_COLUMNS} FROM group_posts g JOIN objects o ON o.id = g.object_id
            WHERE g.group_id = $1 AND g.state = 'queued' ORDER BY g.created_at LIMIT $2""",
        group_id,
        limit,
    )
    return [GroupPostRow(**dict(r)) for r in rows]


async def add_deliveries(
    db: Db, activity_ap_id: str, inboxes: list[tuple[str, str]], *, allowlist_only: bool = False
) -> int:
    """Queue an already stored outgoing activity for more (inbox, host) pairs (e.g. a
    member's Create for the remote group it is addressed to); none to a host the domain
    policy refuses (instance_policy.refused_hosts)."""
    if not inboxes:
        return 0
    pairs = [(host, domain) for host in {h for _, h in inboxes} for domain in instance_policy.refusal_domains(host)]
    status = await db.execute(
        f"""WITH activity AS (SELECT id FROM outgoing_activities WHERE ap_id = $1),
                 pairs AS (SELECT * FROM unnest($4::text[], $5::text[]) AS p(host, domain)),
                 refused AS {instance_policy.refused_hosts("pairs", "$6")},
                 queued AS (
                    INSERT INTO deliveries (activity_id, inbox_url, host)
                    SELECT activity.id, t.inbox, t.host FROM activity,
                           unnest($2::text[], $3::text[]) AS t(inbox, host)
                    WHERE t.host NOT IN (SELECT host FROM refused)
                    ON CONFLICT DO NOTHING RETURNING 1)
           SELECT pg_notify('buurtplein_work', 'delivery') FROM (SELECT count(*) FROM queued) q""",
        activity_ap_id,
        [i for i, _ in inboxes],
        [h for _, h in inboxes],
        [h for h, _ in pairs],
        [d for _, d in pairs],
        allowlist_only,
    )
    return affected(status)
