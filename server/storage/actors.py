"""SQL for actors and their keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from server.storage.pool import Connection, Pool, Record, affected

Db: TypeAlias = Pool | Connection


@dataclass(frozen=True)
class ActorRow:
    id: int
    ap_id: str
    kind: str
    is_local: bool
    username: str
    domain: str
    name: str
    summary: str
    url: str | None
    inbox_url: str
    shared_inbox_url: str | None
    followers_url: str | None
    manually_approves: bool
    discoverable: bool
    also_known_as: tuple[str, ...]
    moved_to: str | None
    icon_url: str | None
    image_url: str | None
    created_at: datetime
    gone_at: datetime | None
    fetched_at: datetime | None

    @property
    def delivery_inbox(self) -> str:
        return self.shared_inbox_url or self.inbox_url


@dataclass(frozen=True)
class KeyRow:
    key_id: str
    actor_id: int
    actor_ap_id: str
    algorithm: str
    public_pem: str
    private_pem: str | None
    fetched_at: datetime


_ACTOR_COLUMNS = """id, ap_id, kind, is_local, username, domain, name, summary, url, inbox_url,
    shared_inbox_url, followers_url, manually_approves, discoverable, also_known_as, moved_to,
    icon_url, image_url, created_at, gone_at, fetched_at"""


_ACTOR_COLUMNS_OF_A = ", ".join(f"a.{name.strip()}" for name in _ACTOR_COLUMNS.split(","))
_FIELDS = len(_ACTOR_COLUMNS.split(","))
_AKA = [name.strip() for name in _ACTOR_COLUMNS.split(",")].index("also_known_as")


def _actor(row: Record | None) -> ActorRow | None:
    if row is None:
        return None
    values = dict(row)
    values["also_known_as"] = tuple(values["also_known_as"] or ())
    return ActorRow(**values)


async def actor_by_id(db: Db, actor_id: int) -> ActorRow | None:
    return _actor(await db.fetchrow(f"SELECT {_ACTOR_COLUMNS} FROM actors WHERE id = $1", actor_id))


async def actor_by_ap_id(db: Db, ap_id: str) -> ActorRow | None:
    return _actor(await db.fetchrow(f"SELECT {_ACTOR_COLUMNS} FROM actors WHERE ap_id = $1", ap_id))


async def local_actor(db: Db, username: str) -> ActorRow | None:
    return _actor(
        await db.fetchrow(
            f"SELECT {_ACTOR_COLUMNS} FROM actors WHERE is_local AND lower(username) = lower($1)",
            username,
        )
    )


async def actor_by_handle(db: Db, username: str, domain: str) -> ActorRow | None:
    return _actor(
        await db.fetchrow(
            f"""SELECT {_ACTOR_COLUMNS} FROM actors
                WHERE lower(username) = lower($1) AND lower(domain) = lower($2)
                ORDER BY is_local DESC, gone_at IS NOT NULL, fetched_at DESC NULLS LAST
                LIMIT 1""",
            username,
            domain,
        )
    )


async def insert_actor(db: Db, fields: dict[str, Any]) -> ActorRow:
    names = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    row = await db.fetchrow(
        f"INSERT INTO actors ({', '.join(names)}) VALUES ({placeholders}) RETURNING {_ACTOR_COLUMNS}",
        *fields.values(),
    )
    actor = _actor(row)
    assert actor is not None
    return actor


async def upsert_remote_actor(db: Db, fields: dict[str, Any]) -> ActorRow:
    """Insert or refresh a remote actor by ap_id (the handle may change on refresh)."""
    names = list(fields)
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "ap_id")
    row = await db.fetchrow(
        f"""INSERT INTO actors ({", ".join(names)}) VALUES ({placeholders})
            ON CONFLICT (ap_id) DO UPDATE SET {updates}, updated_at = now()
            RETURNING {_ACTOR_COLUMNS}""",
        *fields.values(),
    )
    actor = _actor(row)
    assert actor is not None
    return actor


async def replace_keys(db: Db, actor_id: int, keys: Sequence[tuple[str, str, str]]) -> None:
    """Set a remote actor's public keys to exactly `keys` ((key_id, algorithm, pem), …)."""
    await db.execute(
        "DELETE FROM actor_keys WHERE actor_id = $1 AND NOT (key_id = ANY($2::text[]))",
        actor_id,
        [k[0] for k in keys],
    )
    await db.executemany(
        """INSERT INTO actor_keys (key_id, actor_id, algorithm, public_pem) VALUES ($1, $2, $3, $4)
           ON CONFLICT (key_id) DO UPDATE SET actor_id = EXCLUDED.actor_id,
               algorithm = EXCLUDED.algorithm, public_pem = EXCLUDED.public_pem, fetched_at = now()""",
        [(key_id, actor_id, algorithm, pem) for key_id, algorithm, pem in keys],
    )


async def insert_local_key(
    db: Db, key_id: str, actor_id: int, algorithm: str, public_pem: str, private_pem: str
) -> None:
    await db.execute(
        """INSERT INTO actor_keys (key_id, actor_id, algorithm, public_pem, private_pem)
           VALUES ($1, $2, $3, $4, $5)""",
        key_id,
        actor_id,
        algorithm,
        public_pem,
        private_pem,
    )


async def key_by_id(db: Db, key_id: str) -> KeyRow | None:
    row = await db.fetchrow(
        """SELECT k.key_id, k.actor_id, a.ap_id AS actor_ap_id, k.algorithm, k.public_pem,
                  k.private_pem, k.fetched_at
           FROM actor_keys k JOIN actors a ON a.id = k.actor_id WHERE k.key_id = $1""",
        key_id,
    )
    return KeyRow(**dict(row)) if row else None


async def keys_of_actor(db: Db, actor_id: int) -> list[KeyRow]:
    rows = await db.fetch(
        """SELECT k.key_id, k.actor_id, a.ap_id AS actor_ap_id, k.algorithm, k.public_pem,
                  k.private_pem, k.fetched_at
           FROM actor_keys k JOIN actors a ON a.id = k.actor_id WHERE k.actor_id = $1
           ORDER BY k.algorithm DESC""",
        actor_id,
    )
    return [KeyRow(**dict(r)) for r in rows]


async def mark_actor_gone(db: Db, ap_id: str) -> None:
    await db.execute("UPDATE actors SET gone_at = now() WHERE ap_id = $1 AND NOT is_local", ap_id)


async def count_local_actors(db: Db, kind: str) -> int:
    value = await db.fetchval("SELECT count(*) FROM actors WHERE is_local AND kind = $1", kind)
    return int(value)


async def list_local_actors(db: Db, kind: str) -> list[ActorRow]:
    rows = await db.fetch(f"SELECT {_ACTOR_COLUMNS} FROM actors WHERE is_local AND kind = $1 ORDER BY username", kind)
    return [a for a in (_actor(r) for r in rows) if a is not None]


async def set_moved_to(db: Db, ap_id: str, moved_to: str) -> None:
    await db.execute("UPDATE actors SET moved_to = $2, updated_at = now() WHERE ap_id = $1", ap_id, moved_to)


async def local_followers(db: Db, followed_id: int) -> list[ActorRow]:
    """Local actors that follow `followed_id` (accepted or pending), in one query."""
    columns = ", ".join(f"a.{c.strip()}" for c in _ACTOR_COLUMNS.split(","))
    rows = await db.fetch(
        f"""SELECT {columns} FROM follows f JOIN actors a ON a.id = f.follower_id
            WHERE f.followed_id = $1 AND a.is_local ORDER BY f.id""",
        followed_id,
    )
    return [a for a in (_actor(r) for r in rows) if a is not None]


async def mark_inbox_gone(db: Db, inbox_url: str) -> None:
    """A 410 from a personal inbox: its actor is gone."""
    await db.execute(
        "UPDATE actors SET gone_at = now() WHERE inbox_url = $1 AND NOT is_local AND gone_at IS NULL",
        inbox_url,
    )


async def reactors_of(db: Db, object_ap_id: str) -> list[ActorRow]:
    """Actors that liked or boosted an object (they hold a copy and should hear of a Delete)."""
    columns = ", ".join(f"a.{c.strip()}" for c in _ACTOR_COLUMNS.split(","))
    rows = await db.fetch(
        f"""SELECT DISTINCT {columns} FROM reactions r JOIN actors a ON a.id = r.actor_id
            WHERE r.object_ap_id = $1""",
        object_ap_id,
    )
    return [a for a in (_actor(r) for r in rows) if a is not None]


# --- read side (actor documents, WebFinger, NodeInfo) -------------------------------------


@dataclass(frozen=True)
class PublicKeyRow:
    """A public key as published in an actor document (never the private half)."""

    key_id: str
    algorithm: str
    public_pem: str


async def local_actor_with_keys(db: Db, username: str) -> tuple[ActorRow, list[PublicKeyRow]] | None:
    """A local actor and its public keys in one round trip (the actor-document hot path)."""
    row = await db.fetchrow(
        f"""SELECT {_ACTOR_COLUMNS},
                   (SELECT coalesce(jsonb_agg(jsonb_build_array(k.key_id, k.algorithm, k.public_pem)
                                              ORDER BY k.algorithm DESC), '[]'::jsonb)
                    FROM actor_keys k WHERE k.actor_id = actors.id) AS public_keys
            FROM actors WHERE is_local AND lower(username) = lower($1)""",
        username,
    )
    if row is None:
        return None
    values = dict(row)
    public_keys = [PublicKeyRow(*item) for item in values.pop("public_keys")]
    values["also_known_as"] = tuple(values["also_known_as"] or ())
    return ActorRow(**values), public_keys


@dataclass(frozen=True)
class ActorDocumentRow:
    """What a local actor's document and WebFinger answer are made of, with the stamp
    the database gives that content (migration 0018: any change to it gives a new one)."""

    version: int
    actor: ActorRow
    keys: tuple[PublicKeyRow, ...]
    area_name: str  # a neighbourhood's area ("" for other actors)
    boundary_json: str | None  # its GeoJSON boundary, as JSON text


async def local_actor_versions(db: Db, usernames: list[str]) -> dict[str, tuple[int, int]]:
    """Local actors by lower-cased username -> (id, document version), for many names in
    one small query (the hot path of actor documents and WebFinger)."""
    rows = await db.fetch(
        """SELECT username_key, id, document_version FROM actors
            WHERE is_local AND username_key = ANY($1::text[])""",
        [name.lower() for name in usernames],
    )
    return {name: (actor_id, version) for name, actor_id, version in rows}


async def local_actors_for_document(db: Db, actor_ids: list[int]) -> dict[int, ActorDocumentRow]:
    """Everything GET /actors/{name} and WebFinger render, for many local actors by id in
    one round trip: the actor, its public keys and, for a neighbourhood, its area name and
    GeoJSON boundary, with the document version all of it has."""
    rows = await db.fetch(
        f"""SELECT {_ACTOR_COLUMNS_OF_A},
                   (SELECT coalesce(jsonb_agg(jsonb_build_array(k.key_id, k.algorithm, k.public_pem)
                                              ORDER BY k.algorithm DESC), '[]'::jsonb)
                    FROM actor_keys k WHERE k.actor_id = a.id) AS public_keys,
                   n.area_name, n.boundary::text AS boundary_json, a.document_version
            FROM actors a LEFT JOIN neighbourhoods n ON n.actor_id = a.id
            WHERE a.is_local AND a.id = ANY($1::bigint[])""",
        actor_ids,
    )
    found: dict[int, ActorDocumentRow] = {}
    for row in rows:
        # positional: the first columns are ActorRow's fields in order, then keys, area, version
        values = list(row)
        values[_AKA] = tuple(values[_AKA] or ())
        actor = ActorRow(*values[:_FIELDS])
        keys = tuple(PublicKeyRow(*item) for item in values[_FIELDS])
        area_name, boundary_json, version = values[_FIELDS + 1 :]
        found[actor.id] = ActorDocumentRow(version, actor, keys, area_name or "", boundary_json)
    return found


@dataclass(frozen=True)
class UsageCounts:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


async def local_usage_counts(db: Db) -> UsageCounts:
    """NodeInfo usage in one query. Users are local, not-gone Person actors; "active" in a
    window means created in it or having published a local object in it (no login tracking)."""
    row = await db.fetchrow(
        """WITH residents AS (
               SELECT a.id, a.created_at,
                      (SELECT max(o.published_at) FROM objects o
                       WHERE o.actor_id = a.id AND o.is_local) AS last_post
               FROM actors a WHERE a.is_local AND a.kind = 'Person' AND a.gone_at IS NULL)
           SELECT (SELECT count(*) FROM residents) AS total,
                  (SELECT count(*) FROM residents WHERE greatest(created_at, last_post)
                       >= now() - interval '30 days') AS month,
                  (SELECT count(*) FROM residents WHERE greatest(created_at, last_post)
                       >= now() - interval '180 days') AS halfyear,
                  (SELECT count(*) FROM objects WHERE is_local AND deleted_at IS NULL) AS posts"""
    )
    assert row is not None
    return UsageCounts(
        users_total=int(row["total"]),
        users_active_month=int(row["month"]),
        users_active_halfyear=int(row["halfyear"]),
        local_posts=int(row["posts"]),
    )


async def delete_keys(db: Db, actor_id: int) -> None:
    await db.execute("DELETE FROM actor_keys WHERE actor_id = $1", actor_id)


async def pending_followers(db: Db, followed_id: int, limit: int) -> list[tuple[ActorRow, bool, datetime]]:
    """Who asks to follow `followed_id` and waits for an answer, oldest request first:
    each actor, whether it is on a *limited* domain, and when it asked. Gone actors are
    left out (their follows go with them)."""
    rows = await db.fetch(
        f"""SELECT {_ACTOR_COLUMNS_OF_A}, a.on_limited_domain, f.created_at AS asked_at
            FROM follows f JOIN actors a ON a.id = f.follower_id
            WHERE f.followed_id = $1 AND f.state = 'pending' AND a.gone_at IS NULL
            ORDER BY f.created_at, f.id
            LIMIT $2""",
        followed_id,
        limit,
    )
    found = []
    for row in rows:
        values = list(row)
        values[_AKA] = tuple(values[_AKA] or ())
        found.append((ActorRow(*values[:_FIELDS]), bool(row["on_limited_domain"]), row["asked_at"]))
    return found


async def count_pending_followers(db: Db, followed_id: int) -> int:
    value = await db.fetchval(
        """SELECT count(*) FROM follows f JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 AND f.state = 'pending' AND a.gone_at IS NULL""",
        followed_id,
    )
    return int(value or 0)


async def set_manually_approves(db: Db, actor_id: int, value: bool) -> bool:
    """Whether a local person or organisation approves followers by hand; False when it
    was so already (or the actor is not one of ours)."""
    status = await db.execute(
        """UPDATE actors SET manually_approves = $2, updated_at = now()
           WHERE id = $1 AND is_local AND kind <> 'Group' AND manually_approves <> $2""",
        actor_id,
        value,
    )
    return affected(status) == 1
