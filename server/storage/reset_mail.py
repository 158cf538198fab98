"""SQL for password reset by e-mail (migration 0010): the accounts a "forgot password" form
names (by user name or e-mail address), and the e-mailed reset tokens (only their SHA-256 is
stored), counted per account and replaced by the newest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db

MAX_MATCHES = 5


@dataclass(frozen=True)
class MailTarget:
    account_id: int
    username: str
    email: str
    locale: str = ""  # the account's saved language ('' when none was chosen)


async def accounts_to_mail(db: Db, identifier: str) -> list[MailTarget]:
    """Active accounts with an e-mail address whose user name or e-mail address is
    `identifier` (case-insensitive); a user name match alone when there is one."""
    rows = await db.fetch(
        """SELECT a.id AS account_id, ac.username, a.email, a.locale,
                  lower(ac.username) = lower($1) AS by_name
           FROM accounts a JOIN actors ac ON ac.id = a.actor_id
           WHERE ac.is_local AND ac.gone_at IS NULL AND a.state = 'active'
             AND a.email IS NOT NULL AND a.email <> ''
             AND (lower(ac.username) = lower($1) OR lower(a.email) = lower($1))
           ORDER BY by_name DESC, a.id LIMIT $2""",
        identifier,
        MAX_MATCHES,
    )
    by_name = [r for r in rows if r["by_name"]]
    chosen = by_name[:1] if by_name else rows
    return [
        MailTarget(int(r["account_id"]), str(r["username"]), str(r["email"]), str(r["locale"] or "")) for r in chosen
    ]


async def lock_account(db: Db, account_id: int) -> None:
    """Hold the account row until the transaction ends (one reset request at a time)."""
    await db.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id)


async def mailed_resets_since(db: Db, account_id: int, since: datetime) -> int:
    value = await db.fetchval(
        "SELECT count(*) FROM password_resets WHERE account_id = $1 AND via = 'email' AND created_at > $2",
        account_id,
        since,
    )
    return int(value or 0)


async def insert_mailed_reset(db: Db, token_hash: bytes, account_id: int, expires_at: datetime) -> None:
    """Store a new e-mailed token; earlier unused e-mailed tokens of the account stop working."""
    await db.execute(
        """UPDATE password_resets SET used_at = now()
           WHERE account_id = $1 AND via = 'email' AND used_at IS NULL""",
        account_id,
    )
    await db.execute(
        "INSERT INTO password_resets (token_hash, account_id, expires_at, via) VALUES ($1, $2, $3, 'email')",
        token_hash,
        account_id,
        expires_at,
    )


async def end_other_resets(db: Db, account_id: int) -> None:
    """After a reset, every other outstanding token of the account stops working."""
    await db.execute("UPDATE password_resets SET used_at = now() WHERE account_id = $1 AND used_at IS NULL", account_id)
