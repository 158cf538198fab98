"""SQL for the instance admin's tools beyond plain blocks: domain block severity
(suspend | limit), the allowlist of allowlist-only federation, actor suspension, reports
made in a group, and the moderation log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import Connection, affected, connect

SEVERITIES = ("suspend", "limit")


def domain_and_parents(host: str) -> list[str]:
    """'a.b.example' → ['a.b.example', 'b.example', 'example'] (a block covers subdomains)."""
    labels = host.lower().split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _host_only(host: str) -> str:
    return host.lower().rsplit(":", 1)[0] if host.count(":") == 1 else host.lower()


async def set_domain_block(db: Db, domain: str, severity: str, reason: str = "") -> None:
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}")
    await db.execute(
        """INSERT INTO domain_blocks (domain, reason, severity) VALUES (lower($1), $2, $3)
           ON CONFLICT (domain) DO UPDATE SET reason = EXCLUDED.reason, severity = EXCLUDED.severity""",
        domain,
        reason,
        severity,
    )


async def is_suspended_domain(db: Db, host: str) -> bool:
    """True when the host (or a parent domain) is blocked with severity suspend."""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM domain_blocks WHERE domain = ANY($1::text[]) AND severity = 'suspend')",
            domain_and_parents(_host_only(host)),
        )
    )


async def is_limited_domain(db: Db, host: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM domain_blocks WHERE domain = ANY($1::text[]) AND severity = 'limit')",
            domain_and_parents(_host_only(host)),
        )
    )


async def limited_among(db: Db, actor_ids: list[int]) -> set[int]:
    """Which of these actors are remote actors on a limited domain (the flag kept by the
    triggers of migration 0022)."""
    rows = await db.fetch("SELECT id FROM actors WHERE id = ANY($1::bigint[]) AND on_limited_domain", actor_ids)
    return {int(r["id"]) for r in rows}


async def allow_domain(db: Db, domain: str, note: str = "") -> None:
    await db.execute(
        """INSERT INTO allowed_domains (domain, note) VALUES (lower($1), $2)
           ON CONFLICT (domain) DO UPDATE SET note = EXCLUDED.note""",
        domain,
        note,
    )


async def disallow_domain(db: Db, domain: str) -> bool:
    status = await db.execute("DELETE FROM allowed_domains WHERE domain = lower($1)", domain)
    return affected(status) == 1


async def is_allowed_domain(db: Db, host: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM allowed_domains WHERE domain = ANY($1::text[]))",
            domain_and_parents(_host_only(host)),
        )
    )


async def is_refused(db: Db, actor_ap_id: str, host: str, *, allowlist_only: bool) -> bool:
    """Whether the inbox refuses this actor: suspended, blocked by the instance actor, its
    domain (or a parent) suspended — a `limit` block lets it in —, or, in allowlist-only
    mode, its domain not on the allowlist."""
    value = await db.fetchval(
        f"SELECT {refused_condition('$1', '$2', '$3')}",
        actor_ap_id,
        refusal_domains(host),
        allowlist_only,
    )
    return bool(value)


def refusal_domains(host: str) -> list[str]:
    """The domains whose blocks apply to `host` (it and its parents, without a port)."""
    return domain_and_parents(_host_only(host))


def refused_condition_per_row(row: str, domains: str, allowlist_only: str) -> str:
    """refused_condition for each row of a batch: `row` has `actor_ap_id` and `ord`;
    `domains` is a relation of (ord, domain) with each row's refusal_domains."""
    return f"""(EXISTS (SELECT 1 FROM actors WHERE ap_id = {row}.actor_ap_id AND suspended_at IS NOT NULL)
               OR EXISTS (SELECT 1 FROM {domains} d JOIN domain_blocks b ON b.domain = d.domain
                          WHERE d.ord = {row}.ord AND b.severity = 'suspend')
               OR ({allowlist_only}::boolean
                   AND NOT EXISTS (SELECT 1 FROM {domains} d JOIN allowed_domains w ON w.domain = d.domain
                                   WHERE d.ord = {row}.ord))
               OR EXISTS (SELECT 1 FROM actor_blocks b
                          JOIN actors blocker ON blocker.id = b.blocker_id
                          JOIN actors blocked ON blocked.id = b.blocked_id
                          WHERE blocker.kind = 'Application' AND blocker.is_local
                            AND blocked.ap_id = {row}.actor_ap_id))"""


def refused_condition(actor: str, domains: str, allowlist_only: str) -> str:
    """The SQL condition of is_refused, over the given parameters (an actor id, the
    refusal_domains of its host as text[], and the allowlist-only flag), so the inbox can
    check it in the statement that stores an activity."""
    return f"""(EXISTS (SELECT 1 FROM actors WHERE ap_id = {actor} AND suspended_at IS NOT NULL)
               OR EXISTS (SELECT 1 FROM domain_blocks
                          WHERE domain = ANY({domains}::text[]) AND severity = 'suspend')
               OR ({allowlist_only}::boolean
                   AND NOT EXISTS (SELECT 1 FROM allowed_domains WHERE domain = ANY({domains}::text[])))
               OR EXISTS (SELECT 1 FROM actor_blocks b
                          JOIN actors blocker ON blocker.id = b.blocker_id
                          JOIN actors blocked ON blocked.id = b.blocked_id
                          WHERE blocker.kind = 'Application' AND blocker.is_local
                            AND blocked.ap_id = {actor}))"""


def refused_hosts(pairs: str, allowlist_only: str) -> str:
    """The hosts of `pairs` (a relation of (host, domain), each host with its
    refusal_domains) that nothing may be sent to: on a suspended domain (a `limit` block
    does not count) or, in allowlist-only mode, on no allowed domain. Hash joins only, so a
    fan-out to thousands of hosts costs one pass."""
    return f"""(SELECT p.host FROM {pairs} p JOIN domain_blocks b ON b.domain = p.domain AND b.severity = 'suspend'
               UNION
               (SELECT p.host FROM {pairs} p WHERE {allowlist_only}::boolean
                EXCEPT
                SELECT p.host FROM {pairs} p JOIN allowed_domains w ON w.domain = p.domain))"""


# A host key as deliveries and actors keep it (host[:port], IPv6 in brackets) without the
# port, as _host_only does it; `h` must be lower-case already.
def _sql_host_only(h: str) -> str:
    return f"(CASE WHEN {h} LIKE '[%' THEN {h} ELSE split_part({h}, ':', 1) END)"


def _sql_under(h: str, domain: str) -> str:
    """SQL: the host expression `h` is `domain` or one of its subdomains."""
    return f"({h} = {domain} OR right({h}, length({domain}) + 1) = '.' || {domain})"


def _sql_not_allowed(h: str, unless_allowed: bool) -> str:
    """SQL: with `unless_allowed`, the host expression `h` is under no domain on the
    allowlist (no entry is it or a parent of it); else always true."""
    if not unless_allowed:
        return "TRUE"
    return f"NOT EXISTS (SELECT 1 FROM allowed_domains w WHERE {_sql_under(h, 'w.domain')})"


def _sql_scope(h: str, domain: str | None, param: str) -> str:
    """SQL: the host expression `h` is under `domain` (given as the parameter `param`);
    with no domain, every host."""
    return _sql_under(h, param) if domain is not None else "TRUE"


async def drop_queued_deliveries(
    db: Db, domain: str | None, reason: str, *, unless_allowed: bool = False, own_host: str = ""
) -> int:
    """End the queued deliveries to inboxes on `domain` or its subdomains (None: on any
    host) (state failed, with `reason`); the number ended. With `unless_allowed`, a host
    still allowed by an entry of the allowlist (itself or a parent) keeps its deliveries.
    `own_host` (without a port) is never touched. A delivery already being sent is ended
    too; its worker's HTTP client refuses the request once its policy snapshot is renewed."""
    host = _sql_host_only("lower(host)")
    status = await db.execute(
        f"""UPDATE deliveries SET state = 'failed', last_error = $1, locked_until = NULL, finished_at = now()
            WHERE state = 'queued' AND {host} <> $2 AND {_sql_scope(host, domain, "$3")}
              AND {_sql_not_allowed(host, unless_allowed)}""",
        reason,
        own_host.lower(),
        *([domain.lower()] if domain is not None else []),
    )
    return affected(status)


async def end_relations_with_domain(
    db: Db, domain: str | None, *, unless_allowed: bool = False, own_host: str = ""
) -> dict[str, int]:
    """Delete the follows in both directions between any actor and the remote actors on
    `domain` or its subdomains (None: on any host), their memberships in neighbourhoods
    here and ours in theirs (a ban stays), and their area follows. With `unless_allowed`,
    actors on a host still allowed by an entry of the allowlist keep theirs; actors on
    `own_host` (without a port) always do. Nothing is sent. The numbers deleted."""
    host = _sql_host_only("lower(a.domain)")
    remote = (
        f"SELECT a.id FROM actors a WHERE NOT a.is_local AND {host} <> $1 AND {_sql_scope(host, domain, '$2')}"
        f" AND {_sql_not_allowed(host, unless_allowed)}"
    )
    args = [own_host.lower(), *([domain.lower()] if domain is not None else [])]
    follows = await db.execute(
        f"""WITH there AS ({remote})
            DELETE FROM follows WHERE follower_id IN (SELECT id FROM there) OR followed_id IN (SELECT id FROM there)""",
        *args,
    )
    memberships = await db.execute(
        f"""WITH there AS ({remote})
            DELETE FROM memberships WHERE state <> 'banned'
              AND (member_id IN (SELECT id FROM there) OR group_id IN (SELECT id FROM there))""",
        *args,
    )
    area_follows = await db.execute(
        f"""WITH there AS ({remote})
            DELETE FROM area_follows WHERE organisation_id IN (SELECT id FROM there)""",
        *args,
    )
    return {
        "follows": affected(follows),
        "memberships": affected(memberships),
        "area_follows": affected(area_follows),
    }


async def note_allowlist_mode(db: Db, on: bool) -> bool:
    """Record whether allowlist-only mode is on at this start; True only when it was off
    before (the caller then ends what the mode no longer allows, in the same transaction).
    The row lock makes processes that start together wait for the first one, which then
    finds the mode already recorded, so only one of them ends anything."""
    status = await db.execute(
        """UPDATE federation_mode SET allowlist_only = $1, changed_at = now()
           WHERE allowlist_only IS DISTINCT FROM $1""",
        on,
    )
    return on and affected(status) == 1


DOMAIN_POLICY_CHANNEL = "buurtplein_domain_policy"  # NOTIFY'd by the triggers of migration 0024


async def listen_for_policy_changes(dsn: str, on_change: Callable[[], None]) -> Connection:
    """A connection of its own (not from the pool) that calls `on_change` whenever a
    domain block or the allowlist changes, in any process (the triggers of migration
    0024 NOTIFY when the change commits); the caller closes it."""
    conn = await connect(dsn)
    try:
        await conn.add_listener(DOMAIN_POLICY_CHANNEL, lambda *_: on_change())
    except BaseException:
        await conn.close(timeout=5)
        raise
    return conn


async def outgoing_policy(db: Db) -> tuple[frozenset[str], frozenset[str]]:
    """(suspended domains, allowed domains): what the HTTP client refuses to talk to."""
    suspended = await db.fetch("SELECT domain FROM domain_blocks WHERE severity = 'suspend'")
    allowed = await db.fetch("SELECT domain FROM allowed_domains")
    return frozenset(r["domain"] for r in suspended), frozenset(r["domain"] for r in allowed)


async def set_suspended(db: Db, actor_id: int, suspended: bool) -> bool:
    status = await db.execute(
        "UPDATE actors SET suspended_at = CASE WHEN $2 THEN coalesce(suspended_at, now()) END WHERE id = $1",
        actor_id,
        suspended,
    )
    return affected(status) == 1


async def is_suspended(db: Db, actor_id: int) -> bool:
    return bool(await db.fetchval("SELECT suspended_at IS NOT NULL FROM actors WHERE id = $1", actor_id))


# --- reports and the moderation log --------------------------------------------------------


async def insert_report(
    db: Db,
    ap_id: str,
    reporter_id: int | None,
    targets: list[str],
    content: str,
    *,
    group_id: int | None = None,
    forwarded_to: str | None = None,
) -> bool:
    status = await db.execute(
        """INSERT INTO reports (ap_id, reporter_id, target_ids, content, group_id, forwarded_to)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ap_id) DO NOTHING""",
        ap_id,
        reporter_id,
        targets,
        content,
        group_id,
        forwarded_to,
    )
    return affected(status) == 1


@dataclass(frozen=True)
class ReportRow:
    ap_id: str | None
    reporter_id: int | None
    target_ids: list[str]
    content: str
    group_id: int | None
    forwarded_to: str | None
    created_at: datetime


async def reports_for_group(db: Db, group_id: int, limit: int = 100) -> list[ReportRow]:
    rows = await db.fetch(
        """SELECT ap_id, reporter_id, target_ids, content, group_id, forwarded_to, created_at
           FROM reports WHERE group_id = $1 ORDER BY id DESC LIMIT $2""",
        group_id,
        limit,
    )
    return [ReportRow(**{**dict(r), "target_ids": list(r["target_ids"])}) for r in rows]


async def log_action(
    db: Db, actor_id: int | None, action: str, target: str, *, group_id: int | None = None, reason: str = ""
) -> None:
    await db.execute(
        """INSERT INTO moderation_log (actor_id, action, target, group_id, reason)
           VALUES ($1, $2, $3, $4, $5)""",
        actor_id,
        action,
        target,
        group_id,
        reason[:2000],
    )


@dataclass(frozen=True)
class LogEntry:
    actor_id: int | None
    action: str
    target: str
    group_id: int | None
    reason: str
    created_at: datetime


async def moderation_log(db: Db, *, group_id: int | None = None, limit: int = 100) -> list[LogEntry]:
    rows = await db.fetch(
        """SELECT actor_id, action, target, group_id, reason, created_at FROM moderation_log
           WHERE ($1::bigint IS NULL OR group_id = $1) ORDER BY id DESC LIMIT $2""",
        group_id,
        limit,
    )
    return [LogEntry(**dict(r)) for r in rows]


async def is_instance_admin(db: Db, actor_id: int) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE actor_id = $1 AND is_admin)", actor_id))
