"""Local actors: the instance actor, neighbourhoods (Group), residents (Person) and
organisations (Organization). Creating one makes its RSA-2048 and Ed25519 keys."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from argon2 import PasswordHasher

from activitypub import keys
from server.config import Settings
from server.storage import accounts as account_store
from server.storage import actors as actor_store
from server.storage.actors import ActorRow
from server.storage.pool import Connection, Pool
from server.urls import INSTANCE_ACTOR_USERNAME, RESERVED_USERNAMES, Urls

USERNAME_RE = re.compile(r"^[a-z0-9_][a-z0-9_.-]{0,29}$")
LOCAL_KINDS = ("Application", "Group", "Person", "Organization")


class InvalidName(ValueError):
    """A username that cannot be used; the message says why."""


class NameTaken(ValueError):
    """The username is in use already."""


@dataclass(frozen=True)
class GeneratedKeys:
    rsa_private_pem: str
    rsa_public_pem: str
    ed_private_pem: str
    ed_public_pem: str


def validate_username(username: str, *, allow_reserved: bool = False) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidName(f"{username!r} is not a valid name: use 1–30 lower-case letters, digits, '_', '.' or '-'")
    if name in RESERVED_USERNAMES and not allow_reserved:
        raise InvalidName(f"{name!r} is reserved")
    return name


def generate_keys() -> GeneratedKeys:
    rsa_key = keys.generate_rsa_key()
    ed_key = keys.generate_ed25519_key()
    return GeneratedKeys(
        rsa_private_pem=keys.private_key_to_pem(rsa_key),
        rsa_public_pem=keys.public_key_to_pem(rsa_key.public_key()),
        ed_private_pem=keys.private_key_to_pem(ed_key),
        ed_public_pem=keys.public_key_to_pem(ed_key.public_key()),
    )


async def create_local_actor(
    pool: Pool,
    settings: Settings,
    *,
    kind: str,
    username: str,
    name: str = "",
    summary: str = "",
    manually_approves: bool = False,
    allow_reserved: bool = False,
) -> ActorRow:
    username = validate_username(username, allow_reserved=allow_reserved)
    generated = await asyncio.to_thread(generate_keys)
    async with pool.acquire() as conn, conn.transaction():
        return await insert_local_actor(
            conn,
            settings,
            generated,
            kind=kind,
            username=username,
            name=name,
            summary=summary,
            manually_approves=manually_approves,
        )


async def insert_local_actor(
    conn: Connection,
    settings: Settings,
    generated: GeneratedKeys,
    *,
    kind: str,
    username: str,
    name: str,
    summary: str,
    manually_approves: bool,
) -> ActorRow:
    """Insert the actor, its keys and (for a Group) its neighbourhood row; call in a transaction."""
    if kind not in LOCAL_KINDS:
        raise ValueError(f"unknown actor kind {kind}")
    urls = Urls(settings)
    if await actor_store.local_actor(conn, username) is not None:
        raise NameTaken(f"the name {username!r} is taken")
    actor = await actor_store.insert_actor(
        conn,
        {
            "ap_id": urls.actor(username),
            "kind": kind,
            "is_local": True,
            "username": username,
            "domain": settings.domain,
            "name": name or username,
            "summary": summary,
            "url": urls.profile(username),
            "inbox_url": urls.inbox(username),
            "outbox_url": urls.outbox(username),
            "shared_inbox_url": urls.shared_inbox(),
            "followers_url": urls.followers(username),
            "following_url": urls.following(username),
            "featured_url": urls.featured(username),
            "manually_approves": manually_approves,
            "discoverable": kind != "Application",
        },
    )
    await actor_store.insert_local_key(
        conn,
        urls.main_key(username),
        actor.id,
        "rsa",
        generated.rsa_public_pem,
        generated.rsa_private_pem,
    )
    await actor_store.insert_local_key(
        conn,
        urls.ed25519_key(username),
        actor.id,
        "ed25519",
        generated.ed_public_pem,
        generated.ed_private_pem,
    )
    if kind == "Group":
        await account_store.insert_neighbourhood(conn, actor.id)
    return actor


async def ensure_instance_actor(pool: Pool, settings: Settings) -> ActorRow:
    existing = await actor_store.local_actor(pool, INSTANCE_ACTOR_USERNAME)
    if existing is not None:
        return existing
    try:
        return await create_local_actor(
            pool,
            settings,
            kind="Application",
            username=INSTANCE_ACTOR_USERNAME,
            name=settings.name,
            manually_approves=True,
            allow_reserved=True,
        )
    except NameTaken:  # another process created it at the same moment
        found = await actor_store.local_actor(pool, INSTANCE_ACTOR_USERNAME)
        assert found is not None
        return found


async def create_account(
    pool: Pool,
    settings: Settings,
    *,
    username: str,
    password: str,
    email: str = "",
    is_admin: bool = False,
    name: str = "",
    kind: str = "Person",
) -> ActorRow:
    """A local account that signs in with a password: a resident (Person) or an
    organisation (Organization: a municipality or library, which may follow whole areas)."""
    if kind not in ("Person", "Organization"):
        raise InvalidName("an account is a Person or an Organization")
    if len(password) < 10:
        raise InvalidName("the password must have at least 10 characters")
    username = validate_username(username)
    password_hash = await asyncio.to_thread(PasswordHasher().hash, password)
    generated = await asyncio.to_thread(generate_keys)
    async with pool.acquire() as conn, conn.transaction():
        actor = await insert_local_actor(
            conn,
            settings,
            generated,
            kind=kind,
            username=username,
            name=name,
            summary="",
            manually_approves=False,
        )
        await account_store.insert_account(conn, actor.id, email or None, password_hash, is_admin)
    return actor
