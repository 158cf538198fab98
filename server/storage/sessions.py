"""SQL for web sessions (only a hash of each cookie token is stored) and failed logins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.storage.actors import Db


@dataclass(frozen=True)
class SessionRow:
    account_id: int
    actor_id: int
    csrf_secret: str
    is_admin: bool
    locale: str
    expires_at: datetime


async def insert_session(db: Db, token_hash: bytes, account_id: int, csrf_secret: str, expires_at: datetime) -> None:
    await db.execute(
        "INSERT INTO sessions (token_hash, account_id, csrf_secret, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        account_id,
        csrf_secret,
        expires_at,
    )


async def session_by_token_hash(db: Db, token_hash: bytes) -> SessionRow | None:
    """The live session of an active account, or None (unknown, expired or not active)."""
    row = await db.fetchrow(
        """SELECT s.account_id, a.actor_id, s.csrf_secret, a.is_admin, a.locale, s.expires_at
           FROM sessions s JOIN accounts a ON a.id = s.account_id
           WHERE s.token_hash = $1 AND s.expires_at > now() AND a.state = 'active'""",
        token_hash,
    )
    return SessionRow(**dict(row)) if row else None


async def delete_session(db: Db, token_hash: bytes) -> None:
    await db.execute("DELETE FROM sessions WHERE token_hash = $1", token_hash)


async def delete_sessions_of(db: Db, account_id: int) -> None:
    await db.execute("DELETE FROM sessions WHERE account_id = $1", account_id)


async def delete_expired_sessions(db: Db) -> None:
    await db.execute("DELETE FROM sessions WHERE expires_at <= now()")


async def record_failed_login(db: Db, username: str, client: str) -> None:
    await db.execute(
        "INSERT INTO login_attempts (username, client) VALUES (lower($1), $2)",
        username[:200],
        client[:100],
    )


async def count_failed_logins(db: Db, username: str, client: str, since: datetime) -> tuple[int, int]:
    """Failed logins since `since`: (for this username, from this client)."""
    row = await db.fetchrow(
        """SELECT count(*) FILTER (WHERE username = lower($1)) AS by_name,
                  count(*) FILTER (WHERE client = $2) AS by_client
           FROM login_attempts WHERE attempted_at > $3 AND (username = lower($1) OR client = $2)""",
        username[:200],
        client[:100],
        since,
    )
    assert row is not None
    return int(row["by_name"]), int(row["by_client"])


async def forget_failed_logins(db: Db, username: str, before: datetime) -> None:
    """Drop this username's failures (after a good login) and everyone's older ones."""
    await db.execute(
        "DELETE FROM login_attempts WHERE username = lower($1) OR attempted_at < $2", username[:200], before
    )
