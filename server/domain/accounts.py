"""Accounts on the web: registration in the instance's mode, login with rate limiting,
sessions, password changes and resets, approval, invitations, and account deletion that
federates (Delete{Person} to the resident's followers)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from activitypub.terms import PUBLIC
from server.domain.actors import InvalidName, NameTaken, create_account, validate_username
from server.domain.federation_context import Federating
from server.domain.media import remove_files
from server.domain.publish import new_activity_id, publish
from server.storage import account_admin as account_store
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import media_cleanup as media_cleanup_store
from server.storage import reset_mail as reset_store
from server.storage import sessions as session_store
from server.storage.account_admin import AccountRow
from server.storage.pool import Pool

SESSION_LIFETIME = timedelta(days=30)
INVITATION_LIFETIME = timedelta(days=14)
RESET_LIFETIME = timedelta(hours=24)
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_CLIENT = 20
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
AS = "https://www.w3.org/ns/activitystreams"
_hasher = PasswordHasher()
# verified against when the username is unknown, so both answers take as long
_DUMMY_HASH = _hasher.hash("not a real password")


class RegistrationClosed(PermissionError):
    """This instance does not take registrations now."""


class BadInvitation(ValueError):
    """The invitation code is unknown, used or expired."""


class BadPassword(ValueError):
    """A new password that cannot be used; the message key says why."""


class TooManyAttempts(PermissionError):
    """Too many failed logins for this name or from this address: try again later."""


@dataclass(frozen=True)
class LoginResult:
    account: AccountRow | None
    pending: bool = False


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_at: datetime


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def now() -> datetime:
    return datetime.now(UTC)


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadPassword("short")
    if len(password) > MAX_PASSWORD:
        raise BadPassword("long")


async def register(
    pool: Pool,
    fed: Federating,
    *,
    mode: str,
    username: str,
    password: str,
    email: str = "",
    invitation: str = "",
) -> AccountRow:
    """Create a resident's account as the registration mode allows; raises RegistrationClosed,
    BadInvitation, BadPassword, InvalidName or NameTaken."""
    if mode == "closed":
        raise RegistrationClosed("registrations are closed")
    check_new_password(password)
    name = validate_username(username)
    code_hash = hash_token(invitation.strip()) if invitation.strip() else b""
    if mode == "invitation" and (not code_hash or not await account_store.is_invitation_usable(pool, code_hash)):
        raise BadInvitation("unknown, used or expired invitation")
    actor = await create_account(pool, fed.settings, username=name, password=password, email=email)
    account = await account_store.account_by_username(pool, actor.username)
    assert account is not None
    async with pool.acquire() as conn, conn.transaction():
        if mode == "invitation" and not await account_store.claim_invitation(conn, code_hash, account.id):
            await account_store.set_state(conn, account.id, "pending")  # raced: an admin decides
        if mode == "approval":
            await account_store.set_state(conn, account.id, "pending")
    found = await account_store.account_by_id(pool, account.id)
    assert found is not None
    return found


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def login(pool: Pool, username: str, password: str, client: str) -> LoginResult:
    """Check a name and password; raises TooManyAttempts once the window's limits are hit."""
    since = now() - LOGIN_WINDOW
    by_name, by_client = await session_store.count_failed_logins(pool, username, client, since)
    if by_name >= MAX_FAILURES_PER_NAME or by_client >= MAX_FAILURES_PER_CLIENT:
        raise TooManyAttempts("too many failed logins")
    account = await account_store.account_by_username(pool, username) if len(password) <= MAX_PASSWORD else None
    ok = await verify_password(account.password_hash if account else _DUMMY_HASH, password[:MAX_PASSWORD])
    if account is None or not ok:
        await session_store.record_failed_login(pool, username, client)
        return LoginResult(None)
    await session_store.forget_failed_logins(pool, username, now() - LOGIN_WINDOW)
    if account.state != "active":
        return LoginResult(None, pending=True)
    return LoginResult(account)


async def open_session(pool: Pool, account_id: int) -> NewSession:
    token = secrets.token_urlsafe(32)
    expires = now() + SESSION_LIFETIME
    async with pool.acquire() as conn:
        await session_store.delete_expired_sessions(conn)
        await session_store.insert_session(conn, hash_token(token), account_id, secrets.token_urlsafe(32), expires)
    return NewSession(token, expires)


async def close_session(pool: Pool, token: str) -> None:
    await session_store.delete_session(pool, hash_token(token))


async def change_password(pool: Pool, account: AccountRow, current: str, new: str) -> bool:
    """False when `current` is wrong; raises BadPassword for an unusable new one. Other
    sessions of the account end."""
    if not await verify_password(account.password_hash, current):
        return False
    await set_password(pool, account.id, new)
    return True


async def set_password(pool: Pool, account_id: int, new: str) -> None:
    check_new_password(new)
    password_hash = await asyncio.to_thread(_hasher.hash, new)
    async with pool.acquire() as conn, conn.transaction():
        await account_store.set_password_hash(conn, account_id, password_hash)
        await session_store.delete_sessions_of(conn, account_id)


async def create_password_reset(pool: Pool, account_id: int) -> str:
    """A one-time reset token (an admin hands the link to the resident)."""
    token = secrets.token_urlsafe(32)
    await account_store.insert_password_reset(pool, hash_token(token), account_id, now() + RESET_LIFETIME)
    return token


async def reset_password(pool: Pool, token: str, new: str) -> bool:
    check_new_password(new)
    async with pool.acquire() as conn, conn.transaction():
        account_id = await account_store.claim_password_reset(conn, hash_token(token))
        if account_id is None:
            return False
        await account_store.set_password_hash(conn, account_id, await asyncio.to_thread(_hasher.hash, new))
        await session_store.delete_sessions_of(conn, account_id)
        await reset_store.end_other_resets(conn, account_id)
    return True


async def create_invitation(pool: Pool, admin: AccountRow, note: str) -> str:
    code = secrets.token_urlsafe(12)
    await account_store.insert_invitation(pool, hash_token(code), admin.id, note[:200], now() + INVITATION_LIFETIME)
    return code


async def delete_account(fed: Federating, account: AccountRow) -> None:
    """Delete{Person} to the resident's followers, then the account goes: its actor answers
    410 with a Tombstone, its sessions and follows end, its posts are withdrawn locally, and
    every image it uploaded is forgotten (rows in the transaction, files after it)."""
    actor = await actor_store.actor_by_id(fed.pool, account.actor_id)
    assert actor is not None
    delete: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Delete",
        "actor": actor.ap_id,
        "object": actor.ap_id,
        "to": [PUBLIC],
        "cc": [actor.followers_url or actor.ap_id + "/followers"],
    }
    followed = await _followed_remote_inboxes(fed, actor.id)
    async with fed.pool.acquire() as conn, conn.transaction():
        await publish(conn, fed.settings, fed.keyring, actor, delete, inboxes=followed, to_followers=True)
        await account_store.mark_local_actor_gone(conn, actor.id)
        await follow_store.delete_all_follows_of(conn, actor.id)
        await account_store.delete_account_row(conn, account.id)
        files = await media_cleanup_store.delete_media_of_owner(conn, actor.id)
    await remove_files(fed.settings, files)


async def _followed_remote_inboxes(fed: Federating, actor_id: int) -> list[str]:
    """Inboxes of remote actors the resident follows, so they drop the follow too."""
    inboxes = []
    for _follow_id, ap_id in await follow_store.following_ids(fed.pool, actor_id, 1000):
        followed = await actor_store.actor_by_ap_id(fed.pool, ap_id)
        if followed is not None and not followed.is_local:
            inboxes.append(followed.delivery_inbox)
    return inboxes


async def is_reset_usable(pool: Pool, token: str) -> bool:
    return bool(token) and await account_store.is_password_reset_usable(pool, hash_token(token))


__all__ = ["InvalidName", "NameTaken"]
