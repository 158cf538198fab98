"""Import a resident's archive into a resident account on this host (`buurtplein
import-resident FILE NEWNAME`).

The account NEWNAME is the one a resident registered here, or, when there is none with that
name yet, a new resident account made in the same transaction (`NewAccount`: its password
hash and keys are prepared before). The archive fills it, in ONE transaction: its name and
summary (when it has none yet: empty, or the name is just the user name), `alsoKnownAs`
gains the old actor (so the old host's Move is accepted), every post is recreated under a
new id with its original publication date, visibility and a pointer to its original id
(table imported_objects), media files and the feature rows that fit (RSVPs to events known
here, tags, media rows). Imported posts are not sent to anyone; the account's followers (if
it had any) get an `Update` of the actor, so that their servers learn the new alias.

Afterwards, outside the transaction, the follows are made again: a `Follow` to every
account in following.json, and a `Block` for every account in blocks.json. One account
that cannot be fetched does not stop the others; each is reported with its reason.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from server.domain.actors import GeneratedKeys, InvalidName, NameTaken, generate_keys, insert_local_actor
from server.domain.actors import validate_username as checked_username
from server.domain.federation_context import Federating
from server.domain.follows import UnknownActor, block, follow
from server.portability.archive import Archive
from server.portability.import_ import (
    ImportRefused,
    ImportResult,
    insert_post,
    recreate_rows,
    remove_files,
    validated_posts,
    write_media,
)
from server.portability.move import tell_followers
from server.portability.rewrite import IdMap
from server.storage import account_admin
from server.storage import accounts as account_store
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import moderation as moderation_store
from server.storage import portability as store
from server.storage.actors import ActorRow
from server.storage.pool import Connection
from server.urls import Urls

MAX_ALIASES = 10


@dataclass(frozen=True)
class NewAccount:
    """The resident account to create when NEWNAME does not exist here yet. Without a
    password of the operator's choosing it gets a random one nobody knows: the resident
    sets their own through a password-reset link."""

    password_hash: str
    keys: GeneratedKeys
    email: str = ""


async def prepare_account(password: str | None, email: str = "") -> NewAccount:
    """Hash the password (or a random one) and make the keys, before any transaction."""
    if password is not None and len(password) < 10:
        raise ImportRefused("the password must have at least 10 characters")
    secret = password if password is not None else secrets.token_urlsafe(32)
    password_hash = await asyncio.to_thread(PasswordHasher().hash, secret)
    return NewAccount(password_hash=password_hash, keys=await asyncio.to_thread(generate_keys), email=email)


@dataclass
class ResidentImport:
    imported: ImportResult
    followed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (actor id, reason)
    account_created: bool = False


def resident_profile(archive: Archive) -> dict[str, Any]:
    if archive.manifest.kind != "resident":
        raise ImportRefused("this is a neighbourhood's archive: use import-neighbourhood")
    profile = archive.json("profile.json")
    if not isinstance(profile, dict) or profile.get("ap_id") != archive.manifest.actor:
        raise ImportRefused("profile.json is missing or does not belong to the archive's actor")
    return profile


def actor_ids_in(archive: Archive, name: str) -> list[str]:
    """The `ap_id`s listed in following.json or blocks.json (in order, once each)."""
    entries = archive.json(name, [])
    if not isinstance(entries, list):
        raise ImportRefused(f"{name} is not a list")
    found = [e.get("ap_id") for e in entries if isinstance(e, dict)]
    return list(dict.fromkeys(a for a in found if isinstance(a, str) and a.startswith(("https://", "http://"))))


async def import_resident(
    fed: Federating, archive: Archive, username: str, new_account: NewAccount | None = None
) -> ResidentImport:
    """Fill local resident `username` from `archive` (see the module docstring); with
    `new_account`, a resident that does not exist yet is created in the same transaction."""
    profile = resident_profile(archive)
    posts = validated_posts(archive)
    following, blocks = actor_ids_in(archive, "following.json"), actor_ids_in(archive, "blocks.json")
    old_ap_id = archive.manifest.actor
    if Urls(fed.settings).is_local(old_ap_id):
        raise ImportRefused("this archive was made on this host: import it on the new host")
    actor = await actor_store.local_actor(fed.pool, username)
    if actor is None and new_account is None:
        raise ImportRefused(
            f"there is no resident called {username!r} here: create the account first (buurtplein create-user)"
        )
    if actor is not None and actor.kind != "Person":
        raise ImportRefused(f"there is no resident called {username!r} here: that name is a {actor.kind} here")
    if actor is None:
        try:
            username = checked_username(username)
        except InvalidName as exc:
            raise ImportRefused(str(exc)) from None
    create = actor is None
    written: list[Path] = []
    try:
        written = await asyncio.to_thread(write_media, fed.settings.data_dir, archive)
        async with fed.pool.acquire() as conn, conn.transaction():
            if actor is None:
                assert new_account is not None
                actor = await _create_account(conn, fed, username, new_account)
            imported = await _fill(conn, fed, archive, profile, posts, actor)
            if not create:  # a new account has no followers to tell (nor committed keys yet)
                await tell_followers(conn, fed, imported.actor)
    except BaseException:
        await asyncio.to_thread(remove_files, written)
        raise
    imported.media_files = len(written)
    result = ResidentImport(imported=imported, account_created=create)
    await _follow_again(fed, imported.actor, following, result)
    await _block_again(fed, imported.actor, blocks, result)
    return result


async def _create_account(conn: Connection, fed: Federating, username: str, new: NewAccount) -> ActorRow:
    try:
        actor = await insert_local_actor(
            conn, fed.settings, new.keys, kind="Person", username=username, name="", summary="", manually_approves=False
        )
    except NameTaken as exc:
        raise ImportRefused(str(exc)) from None
    await account_store.insert_account(conn, actor.id, new.email or None, new.password_hash, False)
    return actor


async def _fill(
    conn: Connection,
    fed: Federating,
    archive: Archive,
    profile: dict[str, Any],
    posts: list[dict[str, Any]],
    actor: ActorRow,
) -> ImportResult:
    old_ap_id = archive.manifest.actor
    if await store.was_imported(conn, old_ap_id):
        raise ImportRefused(f"{old_ap_id} was imported here before")
    await store.record_move(conn, "imported", old_ap_id, actor.ap_id)
    name = actor.name if actor.name not in ("", actor.username) else str(profile.get("name") or actor.name)[:500]
    summary = actor.summary or str(profile.get("summary") or "")[:5000]
    await account_admin.update_profile(conn, actor.id, name, summary)
    old_aliases = [a for a in profile.get("also_known_as") or [] if isinstance(a, str)]
    aliases = list(dict.fromkeys([*actor.also_known_as, old_ap_id, *old_aliases]))
    await store.set_also_known_as(conn, actor.id, [a for a in aliases if a != actor.ap_id][:MAX_ALIASES])
    ids = IdMap.for_actor(archive, Urls(fed.settings), old_ap_id, actor)
    for post in posts:
        ids.objects[post["ap_id"]] = Urls(fed.settings).object(uuid.uuid4().hex)
    result = ImportResult(actor=actor, original_ap_id=old_ap_id, objects=len(posts))
    object_ids = {post["ap_id"]: await insert_post(conn, actor, post, ids) for post in posts}
    await recreate_rows(conn, archive, result, old_ap_id, actor.id, object_ids)
    refreshed = await actor_store.actor_by_id(conn, actor.id)
    assert refreshed is not None
    result.actor = refreshed
    return result


async def _follow_again(fed: Federating, actor: ActorRow, ap_ids: list[str], result: ResidentImport) -> None:
    for ap_id in ap_ids:
        if ap_id in (actor.ap_id, result.imported.original_ap_id):
            continue
        known = await actor_store.actor_by_ap_id(fed.pool, ap_id)
        if known is not None and await follow_store.follow_state(fed.pool, actor.id, known.id) is not None:
            result.followed.append(ap_id)
            continue
        try:
            await follow(fed, actor, ap_id)
        except UnknownActor:
            result.failed.append((ap_id, "the account to follow could not be fetched"))
            continue
        result.followed.append(ap_id)


async def _block_again(fed: Federating, actor: ActorRow, ap_ids: list[str], result: ResidentImport) -> None:
    for ap_id in ap_ids:
        if ap_id in (actor.ap_id, result.imported.original_ap_id):
            continue
        target = await fed.remote.actor(ap_id)
        if target is None:
            result.failed.append((ap_id, "the account to block could not be fetched"))
            continue
        if not await moderation_store.is_blocked_by(fed.pool, actor.id, target.id):
            await block(fed, actor, target)
        result.blocked.append(ap_id)
