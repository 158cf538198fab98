"""SQL for password reset by e-mail (migrations 0010 and 0020): the accounts a "forgot
password" form names (by user name or e-mail address), the e-mailed reset tokens (only their
SHA-256 is stored), counted per account and replaced by the newest, and the queue of reset
e-mails not sent yet (`reset_mail_queue`: no token or text, only what is needed to write the
e-mail again with a fresh token)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db
from server.storage.pool import affected

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


@dataclass(frozen=True)
class QueuedResetMail:
    id: int
    token_hash: bytes
    language: str
    attempts: int  # attempts made, this one included
    expires_at: datetime


@dataclass(frozen=True)
class GivenUp:
    account_id: int
    attempts: int
    reason: str  # 'attempts' (all made), 'expired', 'used' (replaced or used) or 'account'


async def queue_reset_mail(
    db: Db, token_hash: bytes, language: str, next_attempt_at: datetime, *, attempts: int = 1
) -> int:
    """Queue the e-mail of a new reset token (the first attempt is about to be made)."""
    value = await db.fetchval(
        """INSERT INTO reset_mail_queue (token_hash, language, attempts, next_attempt_at)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        token_hash,
        language,
        attempts,
        next_attempt_at,
    )
    return int(value)


async def unqueue_reset_mail(db: Db, queue_id: int) -> bool:
    """The e-mail was sent, or is given up."""
    status = await db.execute("DELETE FROM reset_mail_queue WHERE id = $1", queue_id)
    return affected(status) == 1


async def drop_dead_reset_mails(db: Db, max_attempts: int) -> list[GivenUp]:
    """Delete the due e-mails that must not be sent any more: every attempt made, or their
    token expired or used (or replaced by a newer one); returns what was given up."""
    rows = await db.fetch(
        """DELETE FROM reset_mail_queue q USING password_resets r
           WHERE r.token_hash = q.token_hash AND q.next_attempt_at <= now()
             AND (q.attempts >= $1 OR r.used_at IS NOT NULL OR r.expires_at <= now())
           RETURNING r.account_id, q.attempts,
                     CASE WHEN r.used_at IS NOT NULL THEN 'used'
                          WHEN r.expires_at <= now() THEN 'expired' ELSE 'attempts' END AS reason""",
        max_attempts,
    )
    return [GivenUp(int(r["account_id"]), int(r["attempts"]), str(r["reason"])) for r in rows]


async def claim_reset_mails(db: Db, delays: list[float], max_attempts: int, limit: int) -> list[QueuedResetMail]:
    """Due e-mails of live tokens, each counted as one more attempt and given its next time
    at once (`delays[n - 1]` seconds after the n-th attempt), so no other process takes it."""
    rows = await db.fetch(
        """WITH due AS (
               SELECT q.id FROM reset_mail_queue q JOIN password_resets r ON r.token_hash = q.token_hash
               WHERE q.next_attempt_at <= now() AND q.attempts < $2
                 AND r.used_at IS NULL AND r.expires_at > now()
               ORDER BY q.next_attempt_at LIMIT $3 FOR UPDATE OF q SKIP LOCKED)
           UPDATE reset_mail_queue q
              SET attempts = q.attempts + 1,
                  next_attempt_at = now() + make_interval(
                      secs => ($1::float8[])[least(q.attempts + 1, cardinality($1::float8[]))])
             FROM due, password_resets r
            WHERE q.id = due.id AND r.token_hash = q.token_hash
        RETURNING q.id, q.token_hash, q.language, q.attempts, r.expires_at""",
        delays,
        max_attempts,
        limit,
    )
    return [QueuedResetMail(**dict(r)) for r in rows]


async def renew_mailed_token(db: Db, token_hash: bytes, new_hash: bytes) -> MailTarget | None:
    """Give a live e-mailed token a new value (its queued e-mail follows); the account to
    write to, or None when the token is no longer live or the account cannot get mail."""
    row = await db.fetchrow(
        """WITH renewed AS (
               UPDATE password_resets SET token_hash = $2
               WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
               RETURNING account_id)
           SELECT a.id AS account_id, ac.username, a.email, a.locale
           FROM renewed JOIN accounts a ON a.id = renewed.account_id JOIN actors ac ON ac.id = a.actor_id
           WHERE ac.is_local AND ac.gone_at IS NULL AND a.state = 'active'
             AND a.email IS NOT NULL AND a.email <> ''""",
        token_hash,
        new_hash,
    )
    if row is None:
        return None
    return MailTarget(int(row["account_id"]), str(row["username"]), str(row["email"]), str(row["locale"] or ""))
