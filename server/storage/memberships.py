"""SQL for group memberships: who belongs to which neighbourhood (local or remote), with
which role and in which state.

A ban may have an end (`banned_until`, migration 0025): once it has passed, the reads here
no longer see the ban (as if it had been lifted) and a new request may replace it;
`claim_expired_bans` then deletes the row for the pass that tells the member's server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import Record, affected

ROLES = ("member", "moderator", "admin")
STATES = ("pending", "accepted", "invited", "banned")
MODERATING_ROLES = ("moderator", "admin")


@dataclass(frozen=True)
class MembershipRow:
    id: int
    group_id: int
    member_id: int
    member_ap_id: str
    role: str
    state: str
    ap_id: str | None
    via: str | None
    invited_by: int | None
    created_at: datetime

    @property
    def is_moderator(self) -> bool:
        return self.state == "accepted" and self.role in MODERATING_ROLES


_COLUMNS = """m.id, m.group_id, m.member_id, a.ap_id AS member_ap_id, m.role, m.state, m.ap_id,
    m.via, m.invited_by, m.created_at"""
# A ban whose end has passed counts as lifted.
_NOT_EXPIRED = "(m.banned_until IS NULL OR m.banned_until > now())"  # set on bans only
_STILL_BANNED = (
    "memberships.state = 'banned' AND (memberships.banned_until IS NULL OR memberships.banned_until > now())"
)


def _row(record: Record | None) -> MembershipRow | None:
    return MembershipRow(**dict(record)) if record is not None else None


async def membership(db: Db, group_id: int, member_id: int) -> MembershipRow | None:
    return _row(
        await db.fetchrow(
            f"""SELECT {_COLUMNS} FROM memberships m JOIN actors a ON a.id = m.member_id
                WHERE m.group_id = $1 AND m.member_id = $2 AND {_NOT_EXPIRED}""",
            group_id,
            member_id,
        )
    )


async def membership_by_ap_id(db: Db, ap_id: str) -> MembershipRow | None:
    return _row(
        await db.fetchrow(
            f"""SELECT {_COLUMNS} FROM memberships m JOIN actors a ON a.id = m.member_id
                WHERE m.ap_id = $1 AND {_NOT_EXPIRED}""",
            ap_id,
        )
    )


async def upsert_membership(
    db: Db,
    group_id: int,
    member_id: int,
    *,
    state: str,
    ap_id: str | None = None,
    via: str | None = None,
    role: str = "member",
    invited_by: int | None = None,
) -> MembershipRow:
    """Create or change the membership; a ban is never lifted by this (use unban), except
    one whose end has passed."""
    if state not in STATES or role not in ROLES:
        raise ValueError(f"bad membership state {state!r} or role {role!r}")
    record = await db.fetchrow(
        f"""INSERT INTO memberships (group_id, member_id, state, ap_id, role, invited_by, via)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (group_id, member_id) DO UPDATE
               SET state = CASE WHEN {_STILL_BANNED} THEN 'banned' ELSE EXCLUDED.state END,
                   banned_until = CASE WHEN {_STILL_BANNED} THEN memberships.banned_until END,
                   ap_id = coalesce(EXCLUDED.ap_id, memberships.ap_id),
                   via = coalesce(EXCLUDED.via, memberships.via),
                   invited_by = coalesce(EXCLUDED.invited_by, memberships.invited_by),
                   updated_at = now()
           RETURNING id""",
        group_id,
        member_id,
        state,
        ap_id,
        role,
        invited_by,
        via,
    )
    assert record is not None
    found = await membership(db, group_id, member_id)
    assert found is not None
    return found


async def set_state(db: Db, group_id: int, member_id: int, state: str, *, from_states: tuple[str, ...]) -> bool:
    """Move the membership to `state` when it is in one of `from_states`."""
    status = await db.execute(
        """UPDATE memberships SET state = $3, updated_at = now()
           WHERE group_id = $1 AND member_id = $2 AND state = ANY($4::text[])""",
        group_id,
        member_id,
        state,
        list(from_states),
    )
    return affected(status) == 1


async def set_role(db: Db, group_id: int, member_id: int, role: str) -> bool:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    status = await db.execute(
        """UPDATE memberships SET role = $3, updated_at = now()
           WHERE group_id = $1 AND member_id = $2 AND state = 'accepted'""",
        group_id,
        member_id,
        role,
    )
    return affected(status) == 1


async def ban(db: Db, group_id: int, member_id: int, until: datetime | None = None) -> None:
    """Ban the member, until `until` (None: until a moderator lifts it); banning again
    replaces the end."""
    await db.execute(
        """INSERT INTO memberships (group_id, member_id, state, banned_until) VALUES ($1, $2, 'banned', $3)
           ON CONFLICT (group_id, member_id) DO UPDATE
               SET state = 'banned', role = 'member', banned_until = EXCLUDED.banned_until, updated_at = now()""",
        group_id,
        member_id,
        until,
    )


@dataclass(frozen=True)
class ExpiredBan:
    group_id: int
    member_id: int
    banned_until: datetime


async def claim_expired_bans(db: Db, limit: int) -> list[ExpiredBan]:
    """Delete up to `limit` bans whose end has passed and return them. Rows another
    transaction holds are skipped, so each ban is claimed once by one process; call it in
    the transaction that acts on the bans."""
    rows = await db.fetch(
        """DELETE FROM memberships WHERE id IN (
               SELECT id FROM memberships WHERE state = 'banned' AND banned_until <= now()
               ORDER BY banned_until LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING group_id, member_id, banned_until""",
        limit,
    )
    return [ExpiredBan(**dict(r)) for r in rows]


async def unban(db: Db, group_id: int, member_id: int) -> bool:
    status = await db.execute(
        "DELETE FROM memberships WHERE group_id = $1 AND member_id = $2 AND state = 'banned'",
        group_id,
        member_id,
    )
    return affected(status) == 1


async def delete_membership(db: Db, group_id: int, member_id: int) -> bool:
    """Forget a membership (leave, removal, withdrawn request); a ban stays."""
    status = await db.execute(
        "DELETE FROM memberships WHERE group_id = $1 AND member_id = $2 AND state <> 'banned'",
        group_id,
        member_id,
    )
    return affected(status) == 1


async def members(db: Db, group_id: int, state: str = "accepted", limit: int = 1000) -> list[MembershipRow]:
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM memberships m JOIN actors a ON a.id = m.member_id
            WHERE m.group_id = $1 AND m.state = $2 AND {_NOT_EXPIRED} ORDER BY m.id LIMIT $3""",
        group_id,
        state,
        limit,
    )
    return [MembershipRow(**dict(r)) for r in rows]


async def moderator_ids(db: Db, group_id: int) -> list[str]:
    """The ap_ids of a local group's moderators and admins, oldest first."""
    rows = await db.fetch(
        """SELECT a.ap_id FROM memberships m JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND m.state = 'accepted' AND m.role = ANY($2::text[])
           ORDER BY m.id""",
        group_id,
        list(MODERATING_ROLES),
    )
    return [str(r["ap_id"]) for r in rows]


async def count_members(db: Db, group_id: int) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM memberships WHERE group_id = $1 AND state = 'accepted'",
            group_id,
        )
    )
