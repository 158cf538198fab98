"""SQL the organiser, moderation and instance-admin pages read and the few writes only
they make: members with their handles, queued posts, open reports (and resolving them),
the moderation log with who acted, domain blocks, the allowlist and suspended actors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.objects import ObjectRow
from server.storage.pool import affected
from server.storage.visibility import object_columns, visible_to


@dataclass(frozen=True)
class MemberView:
    actor_id: int
    ap_id: str
    handle: str
    name: str
    role: str
    state: str
    is_local: bool
    banned_until: datetime | None = None  # a ban that ends by itself


async def members_in_state(db: Db, group_id: int, states: tuple[str, ...], limit: int = 500) -> list[MemberView]:
    rows = await db.fetch(
        """SELECT a.id AS actor_id, a.ap_id, a.username || '@' || a.domain AS handle, a.name,
                  m.role, m.state, a.is_local, m.banned_until
           FROM memberships m JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND m.state = ANY($2::text[])
             AND (m.banned_until IS NULL OR m.banned_until > now())
           ORDER BY m.role <> 'admin', m.role <> 'moderator', lower(a.username), a.id LIMIT $3""",
        group_id,
        list(states),
        limit,
    )
    return [MemberView(**dict(r)) for r in rows]


async def moderated_groups(db: Db, actor_id: int) -> list[tuple[str, str]]:
    """(username, name) of the local neighbourhoods the actor moderates."""
    rows = await db.fetch(
        """SELECT a.username, a.name FROM memberships m JOIN actors a ON a.id = m.group_id
           WHERE m.member_id = $1 AND m.state = 'accepted' AND m.role IN ('moderator', 'admin')
             AND a.is_local AND a.gone_at IS NULL ORDER BY lower(a.name), a.id""",
        actor_id,
    )
    return [(str(r["username"]), str(r["name"])) for r in rows]


@dataclass(frozen=True)
class QueuedPost:
    ap_id: str
    author: str
    content: str
    created_at: datetime


async def queued_posts(db: Db, group_id: int, limit: int = 100) -> list[QueuedPost]:
    rows = await db.fetch(
        """SELECT o.ap_id, o.attributed_to AS author, coalesce(o.content, '') AS content, g.created_at
           FROM group_posts g JOIN objects o ON o.id = g.object_id
           WHERE g.group_id = $1 AND g.state = 'queued' AND o.deleted_at IS NULL
           ORDER BY g.created_at LIMIT $2""",
        group_id,
        limit,
    )
    return [QueuedPost(**dict(r)) for r in rows]


@dataclass(frozen=True)
class ReportView:
    id: int
    reporter: str | None
    target_ids: list[str]
    content: str
    group_id: int | None
    forwarded_to: str | None
    created_at: datetime


async def open_reports(db: Db, *, group_id: int | None, limit: int = 100) -> list[ReportView]:
    """Unresolved reports made in the group, or (group_id None) every unresolved report."""
    rows = await db.fetch(
        """SELECT r.id, a.username || '@' || a.domain AS reporter, r.target_ids, r.content, r.group_id,
                  r.forwarded_to, r.created_at
           FROM reports r LEFT JOIN actors a ON a.id = r.reporter_id
           WHERE r.resolved_at IS NULL AND ($1::bigint IS NULL OR r.group_id = $1)
           ORDER BY r.id DESC LIMIT $2""",
        group_id,
        limit,
    )
    return [ReportView(**{**dict(r), "target_ids": list(r["target_ids"])}) for r in rows]


async def resolve_report(db: Db, report_id: int, resolver_id: int, *, group_id: int | None) -> str | None:
    """Mark an open report resolved (within the group when given); its ap_id or target, or None."""
    value = await db.fetchval(
        """UPDATE reports SET resolved_at = now(), resolved_by = $2
           WHERE id = $1 AND resolved_at IS NULL AND ($3::bigint IS NULL OR group_id = $3)
           RETURNING coalesce(ap_id, 'report ' || id)""",
        report_id,
        resolver_id,
        group_id,
    )
    return str(value) if value is not None else None


@dataclass(frozen=True)
class LogView:
    moderator: str | None
    action: str
    target: str
    reason: str
    created_at: datetime


async def log_entries(db: Db, *, group_id: int | None, limit: int = 100) -> list[LogView]:
    rows = await db.fetch(
        """SELECT a.username || '@' || a.domain AS moderator, l.action, l.target, l.reason, l.created_at
           FROM moderation_log l LEFT JOIN actors a ON a.id = l.actor_id
           WHERE ($1::bigint IS NULL OR l.group_id = $1) ORDER BY l.id DESC LIMIT $2""",
        group_id,
        limit,
    )
    return [LogView(**dict(r)) for r in rows]


@dataclass(frozen=True)
class DomainEntry:
    domain: str
    severity: str
    reason: str
    created_at: datetime


async def domain_blocks(db: Db, limit: int = 1000) -> list[DomainEntry]:
    rows = await db.fetch(
        "SELECT domain, severity, reason, created_at FROM domain_blocks ORDER BY domain LIMIT $1", limit
    )
    return [DomainEntry(**dict(r)) for r in rows]


async def remove_domain_block(db: Db, domain: str) -> bool:
    return affected(await db.execute("DELETE FROM domain_blocks WHERE domain = lower($1)", domain)) == 1


async def allowed_domains(db: Db, limit: int = 1000) -> list[tuple[str, str]]:
    rows = await db.fetch("SELECT domain, note FROM allowed_domains ORDER BY domain LIMIT $1", limit)
    return [(str(r["domain"]), str(r["note"])) for r in rows]


async def suspended_actors(db: Db, limit: int = 500) -> list[tuple[str, str]]:
    """(ap_id, handle) of suspended actors, most recent first."""
    rows = await db.fetch(
        """SELECT ap_id, username || '@' || domain AS handle FROM actors
           WHERE suspended_at IS NOT NULL ORDER BY suspended_at DESC, id LIMIT $1""",
        limit,
    )
    return [(str(r["ap_id"]), str(r["handle"])) for r in rows]


async def visible_object(db: Db, ap_id: str, viewer_id: int) -> ObjectRow | None:
    """The object, when the viewer may read it (the shared visibility predicate)."""
    row = await db.fetchrow(
        f"SELECT {object_columns('o')} FROM objects o WHERE o.ap_id = $2 AND {visible_to('o', '$1')}",
        viewer_id,
        ap_id,
    )
    return ObjectRow(**dict(row)) if row else None
