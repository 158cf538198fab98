"""SQL for accounts as the web sees them: login lookup, states, passwords, invitations and
password reset tokens (stored hashed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db


@dataclass(frozen=True)
class AccountRow:
    id: int
    actor_id: int
    username: str
    email: str | None
    password_hash: str
    is_admin: bool
    state: str
    locale: str
    created_at: datetime


_COLUMNS = """a.id, a.actor_id, ac.username, a.email, a.password_hash, a.is_admin, a.state, a.locale,
    a.created_at"""


async def account_by_username(db: Db, username: str) -> AccountRow | None:
    row = await db.fetchrow(
        f"""SELECT {_COLUMNS} FROM accounts a JOIN actors ac ON ac.id = a.actor_id
            WHERE ac.is_local AND lower(ac.username) = lower($1) AND ac.gone_at IS NULL""",
        username,
    )
    return AccountRow(**dict(row)) if row else None


async def account_by_id(db: Db, account_id: int) -> AccountRow | None:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM accounts a JOIN actors ac ON ac.id = a.actor_id WHERE a.id = $1", account_id
    )
    return AccountRow(**dict(row)) if row else None


async def accounts_in_state(db: Db, state: str, limit: int = 200) -> list[AccountRow]:
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM accounts a JOIN actors ac ON ac.id = a.actor_id
            WHERE a.state = $1 AND ac.gone_at IS NULL ORDER BY a.id LIMIT $2""",
        state,
        limit,
    )
    return [AccountRow(**dict(r)) for r in rows]


async def set_state(db: Db, account_id: int, state: str) -> bool:
    result = await db.execute("UPDATE accounts SET state = $2 WHERE id = $1", account_id, state)
    return str(result).endswith(" 1")


async def set_password_hash(db: Db, account_id: int, password_hash: str) -> None:
    await db.execute("UPDATE accounts SET password_hash = $2 WHERE id = $1", account_id, password_hash)


async def set_locale(db: Db, account_id: int, locale: str) -> None:
    await db.execute("UPDATE accounts SET locale = $2 WHERE id = $1", account_id, locale)


async def delete_account_row(db: Db, account_id: int) -> None:
    await db.execute("DELETE FROM accounts WHERE id = $1", account_id)


async def mark_local_actor_gone(db: Db, actor_id: int) -> None:
    """The resident's actor is gone: it answers 410, and their posts are withdrawn."""
    await db.execute("UPDATE actors SET gone_at = now() WHERE id = $1 AND is_local", actor_id)
    await db.execute("UPDATE objects SET deleted_at = now() WHERE actor_id = $1 AND deleted_at IS NULL", actor_id)


async def update_profile(db: Db, actor_id: int, name: str, summary: str) -> None:
    await db.execute(
        "UPDATE actors SET name = $2, summary = $3, updated_at = now() WHERE id = $1 AND is_local",
        actor_id,
        name,
        summary,
    )


@dataclass(frozen=True)
class InvitationRow:
    id: int
    note: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_username: str | None


async def insert_invitation(db: Db, code_hash: bytes, created_by: int, note: str, expires_at: datetime) -> None:
    await db.execute(
        "INSERT INTO invitations (code_hash, created_by, note, expires_at) VALUES ($1, $2, $3, $4)",
        code_hash,
        created_by,
        note,
        expires_at,
    )


async def claim_invitation(db: Db, code_hash: bytes, account_id: int) -> bool:
    """Mark an unused, unexpired invitation used by `account_id`; False when there is none."""
    result = await db.execute(
        """UPDATE invitations SET used_by = $2, used_at = now()
           WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()""",
        code_hash,
        account_id,
    )
    return str(result).endswith(" 1")


async def is_invitation_usable(db: Db, code_hash: bytes) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM invitations WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()", code_hash
        )
    )


async def revoke_invitation(db: Db, invitation_id: int) -> bool:
    """Delete an invitation nobody has used yet (a used one stays on record); False when
    there is no such unused invitation."""
    result = await db.execute("DELETE FROM invitations WHERE id = $1 AND used_at IS NULL", invitation_id)
    return str(result).endswith(" 1")


async def list_invitations(db: Db, limit: int = 100) -> list[InvitationRow]:
    rows = await db.fetch(
        """SELECT i.id, i.note, i.created_at, i.expires_at, i.used_at, ac.username AS used_by_username
           FROM invitations i LEFT JOIN accounts a ON a.id = i.used_by LEFT JOIN actors ac ON ac.id = a.actor_id
           ORDER BY i.id DESC LIMIT $1""",
        limit,
    )
    return [InvitationRow(**dict(r)) for r in rows]


async def insert_password_reset(db: Db, token_hash: bytes, account_id: int, expires_at: datetime) -> None:
    await db.execute(
        "INSERT INTO password_resets (token_hash, account_id, expires_at) VALUES ($1, $2, $3)",
        token_hash,
        account_id,
        expires_at,
    )


async def claim_password_reset(db: Db, token_hash: bytes) -> int | None:
    """Use a reset token once: the account id, or None when unknown, used or expired."""
    value = await db.fetchval(
        """UPDATE password_resets SET used_at = now()
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING account_id""",
        token_hash,
    )
    return int(value) if value is not None else None


async def is_password_reset_usable(db: Db, token_hash: bytes) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()",
            token_hash,
        )
    )
