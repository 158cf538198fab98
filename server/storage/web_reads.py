"""SQL the web pages read: neighbourhoods, the posts of a neighbourhood or a resident,
replies, a home timeline and search. Visibility is applied here: public pages see public
posts only; the home timeline uses the shared `visible_to` predicate for its reader.
Shared lists (a neighbourhood's posts, replies, a hashtag search) leave out posts by actors
on a *limited* domain (`visibility.limited_author`), except on a neighbourhood's page the
posts a moderator approved into it (`visibility.approved_in`); an actor's own list does
not. Name search leaves out actors on a limited domain unless the searcher follows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage import timelines
from server.storage.actors import ActorRow, Db, actor_by_id
from server.storage.objects import ObjectRow
from server.storage.visibility import approved_in, limited_author, object_columns


@dataclass(frozen=True)
class NeighbourhoodRow:
    actor_id: int
    username: str
    name: str
    summary: str
    area_name: str
    timezone: str
    followers: int
    created_at: datetime


@dataclass(frozen=True)
class PostView:
    """A post with its author's display fields, ready for a page."""

    post: ObjectRow
    author_name: str
    author_handle: str
    author_url: str


_NEIGHBOURHOOD_SELECT = """SELECT n.actor_id, a.username, a.name, a.summary, n.area_name, n.timezone,
    (SELECT count(*) FROM follows f WHERE f.followed_id = a.id AND f.state = 'accepted') AS followers,
    a.created_at
    FROM neighbourhoods n JOIN actors a ON a.id = n.actor_id WHERE a.gone_at IS NULL AND a.is_local"""


async def list_neighbourhoods(db: Db, limit: int = 100) -> list[NeighbourhoodRow]:
    rows = await db.fetch(_NEIGHBOURHOOD_SELECT + " ORDER BY lower(a.name) LIMIT $1", limit)
    return [NeighbourhoodRow(**dict(r)) for r in rows]


async def neighbourhood_of(db: Db, actor_id: int) -> NeighbourhoodRow | None:
    row = await db.fetchrow(_NEIGHBOURHOOD_SELECT + " AND n.actor_id = $1", actor_id)
    return NeighbourhoodRow(**dict(row)) if row else None


def _post_views(rows: Sequence[Any]) -> list[PostView]:
    views = []
    for record in rows:
        values = dict(record)
        name, username, domain, url = (values.pop(k) for k in ("a_name", "a_username", "a_domain", "a_url"))
        views.append(
            PostView(
                post=ObjectRow(**values),
                author_name=name or username or values["attributed_to"],
                author_handle=f"@{username}@{domain}" if username else values["attributed_to"],
                author_url=url or values["attributed_to"],
            )
        )
    return views


_POST_SELECT = f"""SELECT {object_columns("o")}, au.name AS a_name, au.username AS a_username,
    au.domain AS a_domain, au.url AS a_url
    FROM objects o LEFT JOIN actors au ON au.ap_id = o.attributed_to"""


async def neighbourhood_posts(db: Db, group: ActorRow, limit: int = 20) -> list[PostView]:
    """Public posts by the neighbourhood, addressed to it (`audience`) or announced by it,
    newest first: three index walks (actor, audience, group_posts), one statement. Events
    are left out: the page lists the upcoming ones on their own. Posts by actors on a
    *limited* domain are left out unless a moderator approved them into this neighbourhood."""
    rows = await db.fetch(
        _POST_SELECT
        + """ WHERE o.id IN (
                (SELECT id FROM objects WHERE actor_id = $1 ORDER BY id DESC LIMIT $3 * 4)
                UNION
                (SELECT id FROM objects WHERE document ->> 'audience' = $2 ORDER BY id DESC LIMIT $3 * 4)
                UNION
                (SELECT object_id FROM group_posts WHERE group_id = $1 AND state = 'announced'
                 ORDER BY object_id DESC LIMIT $3 * 4))
              AND o.deleted_at IS NULL AND o.visibility = 'public' AND o.type NOT IN ('Tombstone', 'Event')
              AND (NOT """
        + limited_author("o")
        + " OR "
        + approved_in("o", "$1")
        + """)
              ORDER BY o.id DESC LIMIT $3""",
        group.id,
        group.ap_id,
        limit,
    )
    return _post_views(rows)


async def public_posts_of(db: Db, actor_id: int, limit: int = 20) -> list[PostView]:
    rows = await db.fetch(
        _POST_SELECT
        + """ WHERE o.actor_id = $1 AND o.deleted_at IS NULL AND o.visibility = 'public'
              ORDER BY o.id DESC LIMIT $2""",
        actor_id,
        limit,
    )
    return _post_views(rows)


async def home_timeline(db: Db, reader: ActorRow, limit: int = 40) -> list[PostView]:
    """The reader's home timeline (`storage.timelines`, one indexed statement) with the
    authors' display fields (one more)."""
    posts = await timelines.home_timeline(db, reader.id, limit=limit)
    return await with_authors(db, posts)


async def with_authors(db: Db, posts: Sequence[ObjectRow]) -> list[PostView]:
    authors = {
        r["ap_id"]: r
        for r in await db.fetch(
            "SELECT ap_id, name, username, domain, url FROM actors WHERE ap_id = ANY($1::text[])",
            list({p.attributed_to for p in posts}),
        )
    }
    views = []
    for post in posts:
        author = authors.get(post.attributed_to)
        username = author["username"] if author else None
        views.append(
            PostView(
                post=post,
                author_name=(author["name"] if author else None) or username or post.attributed_to,
                author_handle=f"@{username}@{author['domain']}" if author and username else post.attributed_to,
                author_url=(author["url"] if author else None) or post.attributed_to,
            )
        )
    return views


async def public_replies(db: Db, ap_id: str, limit: int = 100) -> list[PostView]:
    rows = await db.fetch(
        _POST_SELECT
        + """ WHERE o.in_reply_to = $1 AND o.deleted_at IS NULL AND o.visibility IN ('public', 'unlisted')
              AND NOT """
        + limited_author("o")
        + """
              ORDER BY o.published_at, o.id LIMIT $2""",
        ap_id,
        limit,
    )
    return _post_views(rows)


async def search_actors(db: Db, text: str, viewer_id: int | None = None, limit: int = 20) -> list[ActorRow]:
    """Discoverable actors whose name or username contains `text` (local first). Actors on
    a *limited* domain are left out unless `viewer_id` follows them (accepted); an exact
    address (`name@host`, a URL) still finds them, but that lookup is not a name search."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = await db.fetch(
        """SELECT id FROM actors
           WHERE discoverable AND gone_at IS NULL AND kind <> 'Application'
             AND (username ILIKE $1 OR name ILIKE $1)
             AND (NOT on_limited_domain OR EXISTS (
                 SELECT 1 FROM follows f WHERE f.follower_id = $3::bigint AND f.followed_id = actors.id
                   AND f.state = 'accepted'))
           ORDER BY is_local DESC, lower(username) LIMIT $2""",
        pattern,
        limit,
        viewer_id,
    )
    found = [await actor_by_id(db, int(r["id"])) for r in ids]
    return [a for a in found if a is not None]


async def search_tag(db: Db, tag: str, limit: int = 20) -> list[PostView]:
    """Public posts with the hashtag `tag` (letters, digits and '_' only: checked by callers)
    in their AS2 `tag` list or their text."""
    rows = await db.fetch(
        _POST_SELECT
        + """ WHERE o.deleted_at IS NULL AND o.visibility = 'public' AND (
                o.document->'tag' @> jsonb_build_array(jsonb_build_object('name', '#' || $1))
                OR o.content ~* ('(^|[^[:alnum:]_])#' || $1 || '($|[^[:alnum:]_])'))
              AND NOT """
        + limited_author("o")
        + """
              ORDER BY o.published_at DESC LIMIT $2""",
        tag,
        limit,
    )
    return _post_views(rows)
