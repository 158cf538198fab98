"""SQL for the public feeds and the public API: only public, undeleted posts of actors that
are neither gone nor on a blocked domain, and only discoverable local neighbourhoods.
Posts by actors on a *limited* domain appear only in that actor's own feed, and in a
neighbourhood's feed when a moderator approved them into that neighbourhood.

Every query here goes through `_PUBLIC_POST` (for posts) or `_PUBLIC_NEIGHBOURHOOD` (for
neighbourhoods); nothing in this module can return a followers-only, members-only,
unlisted or direct post. Each feed is one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.visibility import approved_in

FEED_TYPES = ("Note", "Article", "Page", "Event", "Question")

# An actor whose content may be shown: not gone, not suspended, its domain not suspended,
# and (for our own actors) not hidden from discovery.
VISIBLE_ACTOR = """a.gone_at IS NULL AND a.suspended_at IS NULL AND (a.discoverable OR NOT a.is_local)
    AND NOT EXISTS (SELECT 1 FROM domain_blocks db WHERE db.domain = lower(a.domain)
                    AND db.severity = 'suspend')"""

# The author (alias a) is not a remote actor on a *limited* domain: what such actors write
# is left out of every shared list; only an actor's own list (scope author_id, organiser_id)
# still shows it.
NOT_LIMITED_ACTOR = "NOT a.on_limited_domain"  # kept by triggers (migration 0022)

# A post belongs to a neighbourhood when the neighbourhood wrote it or announced it
# (a member's post a moderator still has to approve, or removed, is not shown).
IN_NEIGHBOURHOOD = """(o.actor_id = {group} OR EXISTS (SELECT 1 FROM group_posts gp
    WHERE gp.group_id = {group} AND gp.object_id = o.id AND gp.state = 'announced'))"""

# A hashtag as stored by the posts feature (normalised names in post_tags).
HAS_TAG = """EXISTS (SELECT 1 FROM post_tags pt WHERE pt.object_id = o.id
    AND pt.name = ANY(ARRAY[{tag}, lower({tag})]))"""

# A post sent to a neighbourhood that a moderator has not approved (queued), or rejected
# or removed, is shown nowhere: not in the neighbourhood, the author's or the instance's feed.
NOT_HELD_BACK = """NOT EXISTS (SELECT 1 FROM group_posts held WHERE held.object_id = o.id
    AND held.state <> 'announced')"""

_PUBLIC_POST = f"""o.visibility = 'public' AND o.deleted_at IS NULL AND o.in_reply_to IS NULL
    AND o.type = ANY('{{{",".join(FEED_TYPES)}}}'::text[]) AND {VISIBLE_ACTOR} AND {NOT_HELD_BACK}"""

_PUBLIC_NEIGHBOURHOOD = f"""a.kind = 'Group' AND a.is_local AND a.discoverable AND {VISIBLE_ACTOR}"""
# The same, for queries elsewhere in storage (events placed by their neighbourhood's area).
PUBLIC_NEIGHBOURHOOD = _PUBLIC_NEIGHBOURHOOD

_POST_COLUMNS = """o.id, o.ap_id, o.type, o.content, o.published_at, o.updated_at,
    CASE WHEN jsonb_typeof(o.document -> 'url') = 'string' THEN o.document ->> 'url'
         ELSE o.ap_id END AS url,
    CASE WHEN jsonb_typeof(o.document -> 'name') = 'string' THEN o.document ->> 'name'
         ELSE '' END AS title,
    CASE WHEN jsonb_typeof(o.document -> 'summary') = 'string' THEN o.document ->> 'summary'
         ELSE '' END AS summary,
    CASE WHEN jsonb_typeof(o.document -> 'audience') = 'string' THEN o.document ->> 'audience'
         ELSE NULL END AS audience,
    a.ap_id AS author_ap_id, a.username AS author_username, a.domain AS author_domain,
    a.name AS author_name, coalesce(a.url, a.ap_id) AS author_url,
    ARRAY(SELECT pt.name FROM post_tags pt WHERE pt.object_id = o.id ORDER BY pt.name) AS tags"""


@dataclass(frozen=True)
class FeedPost:
    id: int
    ap_id: str
    type: str
    content: str
    published_at: datetime
    updated_at: datetime | None
    url: str
    title: str
    summary: str
    audience: str | None
    author_ap_id: str
    author_username: str
    author_domain: str
    author_name: str
    author_url: str
    tags: tuple[str, ...]

    @property
    def changed_at(self) -> datetime:
        return self.updated_at or self.published_at


@dataclass(frozen=True)
class PostScope:
    """Which public posts: a neighbourhood's, one actor's, one hashtag's, or the instance's."""

    neighbourhood_id: int | None = None
    author_id: int | None = None
    tag: str | None = None
    local_only: bool = False


@dataclass(frozen=True)
class Page:
    """Keyset position: rows strictly older than (published_at, id)."""

    before_at: datetime | None = None
    before_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _post(record: Any) -> FeedPost:
    values = dict(record)
    values["tags"] = tuple(values["tags"] or ())
    return FeedPost(**values)


def post_conditions(scope: PostScope, arg: Callable[[Any], str]) -> list[str]:
    """The WHERE conditions (over `objects o JOIN actors a`) of the public posts in `scope`."""
    where = [_PUBLIC_POST]
    if scope.local_only:
        where.append("o.is_local")
    group = arg(scope.neighbourhood_id) if scope.neighbourhood_id is not None else None
    if scope.author_id is not None:
        where.append(f"o.actor_id = {arg(scope.author_id)}")
    elif group is not None:  # a moderator's approval into this neighbourhood overrides the limit
        where.append(f"({NOT_LIMITED_ACTOR} OR {approved_in('o', group)})")
    else:
        where.append(NOT_LIMITED_ACTOR)
    if group is not None:
        where.append(IN_NEIGHBOURHOOD.format(group=group))
    if scope.tag is not None:
        where.append(HAS_TAG.format(tag=arg(scope.tag)))
    return where


async def public_posts(db: Db, scope: PostScope, limit: int, page: Page | None = None) -> list[FeedPost]:
    """Public top-level posts in `scope`, newest first, at most `limit` (one query)."""
    page = page or Page()
    params: list[Any] = []

    def arg(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    where = post_conditions(scope, arg)
    if page.since is not None:
        where.append(f"o.published_at >= {arg(page.since)}")
    if page.until is not None:
        where.append(f"o.published_at < {arg(page.until)}")
    if page.before_at is not None and page.before_id is not None:
        where.append(f"(o.published_at, o.id) < ({arg(page.before_at)}, {arg(page.before_id)})")
    rows = await db.fetch(
        f"""SELECT {_POST_COLUMNS} FROM objects o JOIN actors a ON a.id = o.actor_id
            WHERE {" AND ".join(where)}
            ORDER BY o.published_at DESC, o.id DESC LIMIT {arg(limit)}""",
        *params,
    )
    return [_post(r) for r in rows]


# --- neighbourhoods ----------------------------------------------------------------------


@dataclass(frozen=True)
class PublicNeighbourhood:
    actor_id: int
    ap_id: str
    username: str
    name: str
    summary: str
    url: str
    icon_url: str | None
    area_name: str
    timezone: str
    created_at: datetime


_NEIGHBOURHOOD_COLUMNS = """a.id AS actor_id, a.ap_id, a.username, a.name, a.summary,
    coalesce(a.url, a.ap_id) AS url, a.icon_url, n.area_name, n.timezone, n.created_at"""


async def public_neighbourhood(db: Db, username: str) -> PublicNeighbourhood | None:
    """A local, discoverable neighbourhood by name; None for anything else (404, no leak)."""
    row = await db.fetchrow(
        f"""SELECT {_NEIGHBOURHOOD_COLUMNS} FROM actors a JOIN neighbourhoods n ON n.actor_id = a.id
            WHERE {_PUBLIC_NEIGHBOURHOOD} AND lower(a.username) = lower($1)""",
        username,
    )
    return PublicNeighbourhood(**dict(row)) if row else None


async def public_neighbourhoods(
    db: Db, *, area_name: str | None, after_username: str | None, limit: int
) -> list[PublicNeighbourhood]:
    """Public neighbourhoods by name (keyset on the username), optionally of one area."""
    rows = await db.fetch(
        f"""SELECT {_NEIGHBOURHOOD_COLUMNS} FROM actors a JOIN neighbourhoods n ON n.actor_id = a.id
            WHERE {_PUBLIC_NEIGHBOURHOOD}
              AND ($1::text IS NULL OR lower(n.area_name) = lower($1))
              AND ($2::text IS NULL OR a.username > $2)
            ORDER BY a.username LIMIT $3""",
        area_name,
        after_username,
        limit,
    )
    return [PublicNeighbourhood(**dict(r)) for r in rows]


async def public_neighbourhoods_in_box(
    db: Db, *, area_name: str | None, after_username: str | None, limit: int, box: tuple[float, float, float, float]
) -> list[tuple[PublicNeighbourhood, dict[str, Any]]]:
    """Public neighbourhoods (by name, keyset on the username) whose boundary's bounding box
    (kept by a trigger, migration 0013) overlaps `box` (min_lon, min_lat, max_lon, max_lat),
    each with its boundary for the exact test; neighbourhoods without a boundary never."""
    rows = await db.fetch(
        f"""SELECT {_NEIGHBOURHOOD_COLUMNS}, n.boundary FROM actors a JOIN neighbourhoods n ON n.actor_id = a.id
            WHERE {_PUBLIC_NEIGHBOURHOOD} AND n.boundary IS NOT NULL
              AND n.bbox_min_lon <= $5 AND n.bbox_max_lon >= $3 AND n.bbox_min_lat <= $6 AND n.bbox_max_lat >= $4
              AND ($1::text IS NULL OR lower(n.area_name) = lower($1))
              AND ($2::text IS NULL OR a.username > $2)
            ORDER BY a.username LIMIT $7""",
        area_name,
        after_username,
        *box,
        limit,
    )
    found = []
    for row in rows:
        values = dict(row)
        boundary = values.pop("boundary")
        found.append((PublicNeighbourhood(**values), boundary))
    return found


async def public_resident(db: Db, username: str) -> tuple[int, str, str, str] | None:
    """(id, ap_id, name, profile url) of a local, discoverable Person or Organization."""
    row = await db.fetchrow(
        f"""SELECT a.id, a.ap_id, a.name, coalesce(a.url, a.ap_id) AS url FROM actors a
            WHERE a.is_local AND a.discoverable AND a.kind IN ('Person', 'Organization')
              AND {VISIBLE_ACTOR} AND lower(a.username) = lower($1)""",
        username,
    )
    return (int(row["id"]), str(row["ap_id"]), str(row["name"]), str(row["url"])) if row else None


@dataclass(frozen=True)
class Institution:
    ap_id: str
    kind: str
    name: str
    username: str
    domain: str
    url: str


async def institutions_following(db: Db, neighbourhood_id: int) -> list[Institution]:
    """Organisations, applications and services whose follow of the neighbourhood was accepted."""
    rows = await db.fetch(
        f"""SELECT a.ap_id, a.kind, a.name, a.username, a.domain, coalesce(a.url, a.ap_id) AS url
            FROM follows f JOIN actors a ON a.id = f.follower_id
            WHERE f.followed_id = $1 AND f.state = 'accepted'
              AND a.kind IN ('Organization', 'Application', 'Service') AND {VISIBLE_ACTOR}
            ORDER BY lower(a.name), a.id""",
        neighbourhood_id,
    )
    return [Institution(**dict(r)) for r in rows]
