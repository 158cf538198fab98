"""Moving actors: a local neighbourhood or resident moves to a new actor (anywhere), a
resident coming from elsewhere lists (or removes) their old account in `alsoKnownAs` — the
followers are told with an `Update` of the actor — and a follow is redirected from an old
actor to its new one (used here and by the Move handler).

Moving away, in one transaction: `movedTo` is set, `Move{object: old, target: new}` and an
`Update` of the actor go to all followers, local followers follow the new actor. Then the
old actor publishes a notice ("we moved", a public Note that is its pinned notice for
servers that do not follow a Move), and every local member is invited to the new host with
a direct message and a notification.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from activitypub.terms import PUBLIC
from server.config import Settings
from server.domain import posts
from server.domain.federation_context import Federating
from server.domain.neighbourhoods import actor_update
from server.domain.publish import new_activity_id, publish
from server.keyring import KeyRing
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from server.storage import portability as store
from server.storage.actors import ActorRow
from server.storage.pool import Connection

AS = "https://www.w3.org/ns/activitystreams"
MAX_ALIASES = 10


class MoveRefused(ValueError):
    """The move cannot be made; the message says why. Nothing was changed."""


@dataclass(frozen=True)
class MoveResult:
    move_id: str
    target: str
    local_follows_moved: int
    remote_follower_inboxes: int
    notice_id: str
    invited: int


def handle_of(actor: ActorRow) -> str:
    return f"@{actor.username}@{actor.domain}"


async def redirect_follow(
    conn: Connection, settings: Settings, keyring: KeyRing, follower: ActorRow, old: ActorRow, new: ActorRow
) -> bool:
    """The local `follower` of `old` follows `new` instead (sending Undo to the old actor's
    host and Follow to the new one's when remote). False when the follower blocks `new`."""
    if follower.id == new.id or await store.is_blocking(conn, follower.id, new.id):
        return False
    old_follow = await follow_store.follow_ap_id(conn, follower.id, old.id)
    await follow_store.delete_follow(conn, follower.id, old.id)
    if old_follow is not None and not old.is_local:
        undo: dict[str, Any] = {
            "@context": AS,
            "id": new_activity_id(settings),
            "type": "Undo",
            "actor": follower.ap_id,
            "to": [old.ap_id],
            "object": {"id": old_follow, "type": "Follow", "actor": follower.ap_id, "object": old.ap_id},
        }
        await publish(conn, settings, keyring, follower, undo, inboxes=[old.inbox_url])
    if await follow_store.follow_state(conn, follower.id, new.id) is not None:
        return True
    follow: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(settings),
        "type": "Follow",
        "actor": follower.ap_id,
        "object": new.ap_id,
        "to": [new.ap_id],
    }
    state = "accepted" if new.is_local and not new.manually_approves else "pending"
    await follow_store.upsert_follow(conn, follow["id"], follower.id, new.id, state)
    if not new.is_local:
        await publish(conn, settings, keyring, follower, follow, inboxes=[new.inbox_url])
    return True


async def verified_target(fed: Federating, actor: ActorRow, target_ap_id: str) -> ActorRow:
    """The new actor, fetched fresh; it must list `actor` in alsoKnownAs and not have moved."""
    if target_ap_id == actor.ap_id:
        raise MoveRefused("an actor cannot move to itself")
    if not target_ap_id.startswith(("https://", "http://")):
        raise MoveRefused("the new actor must be an http(s) URL")
    target = await fed.remote.actor(target_ap_id, refresh=True)
    if target is None or target.gone_at is not None:
        raise MoveRefused(f"the new actor {target_ap_id} could not be fetched")
    if actor.ap_id not in target.also_known_as:
        raise MoveRefused(
            f"the new actor does not list {actor.ap_id} in alsoKnownAs: import the archive there "
            "first (import sets it), or set it with set-also-known-as"
        )
    if target.moved_to:
        raise MoveRefused(f"the new actor has itself moved to {target.moved_to}")
    return target


async def move_actor(fed: Federating, actor: ActorRow, target_ap_id: str) -> MoveResult:
    """Move local `actor` to `target_ap_id` (see the module docstring)."""
    if not actor.is_local:
        raise MoveRefused("only a local actor can be moved from here")
    if actor.moved_to:
        raise MoveRefused(f"{handle_of(actor)} has moved already, to {actor.moved_to}")
    target = await verified_target(fed, actor, target_ap_id)
    move: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Move",
        "actor": actor.ap_id,
        "object": actor.ap_id,
        "target": target.ap_id,
        "to": [actor.followers_url or actor.ap_id + "/followers"],
        "cc": [PUBLIC],
    }
    members = await store.local_members(fed.pool, actor.id)  # before their follows move
    async with fed.pool.acquire() as conn, conn.transaction():
        inboxes = await follow_store.follower_inboxes(conn, actor.id)
        await actor_store.set_moved_to(conn, actor.ap_id, target.ap_id)
        moved = await actor_store.actor_by_id(conn, actor.id)
        assert moved is not None
        await publish(
            conn, fed.settings, fed.keyring, moved, await actor_update(conn, moved, fed.settings), inboxes=inboxes
        )
        await publish(conn, fed.settings, fed.keyring, moved, move, inboxes=inboxes)
        local_moved = 0
        for follower in await actor_store.local_followers(conn, actor.id):
            local_moved += await redirect_follow(conn, fed.settings, fed.keyring, follower, moved, target)
        await store.record_move(
            conn, "moved_out", actor.ap_id, target.ap_id, activity_ap_id=move["id"], follows_moved=local_moved
        )
    notice = await leave_notice(fed, moved, target)
    invited = await invite_members(fed, moved, target, members)
    return MoveResult(
        move_id=move["id"],
        target=target.ap_id,
        local_follows_moved=local_moved,
        remote_follower_inboxes=len(inboxes),
        notice_id=notice,
        invited=invited,
    )


def notice_html(target: ActorRow) -> str:
    link = html.escape(target.url or target.ap_id, quote=True)
    return (
        f'<p>We have moved to <a href="{link}">{html.escape(handle_of(target))}</a>. '
        "Follow us there: this address is no longer in use.</p>"
    )


async def leave_notice(fed: Federating, actor: ActorRow, target: ActorRow) -> str:
    """The public 'we moved' Note the old actor leaves behind; recorded as its notice."""
    note = await posts.create_note(fed, actor, notice_html(target))
    await store.set_move_notice(fed.pool, actor.ap_id, target.ap_id, note.ap_id)
    return note.ap_id


async def invite_members(fed: Federating, actor: ActorRow, target: ActorRow, member_ids: list[int]) -> int:
    """Each local member and follower of the moved actor gets a direct message from it and
    a notification naming the new actor."""
    invited = 0
    for member_id in member_ids:
        member = await actor_store.actor_by_id(fed.pool, member_id)
        if member is None or member.id == actor.id or member.kind == "Application":
            continue
        text = (
            f'<p><a href="{html.escape(member.ap_id, quote=True)}">{html.escape(handle_of(member))}</a> '
            f"{html.escape(actor.name or actor.username)} has moved. "
            f'Join us at <a href="{html.escape(target.url or target.ap_id, quote=True)}">'
            f"{html.escape(handle_of(target))}</a>.</p>"
        )
        message = await posts.create_note(fed, actor, text, visibility="direct", mentions=[member.ap_id])
        async with fed.pool.acquire() as conn, conn.transaction():
            await object_store.add_recipients(conn, message.id, [member.id])
            await store.notify(conn, member.id, "moved", actor.id, target.ap_id)
        invited += 1
    return invited


async def add_also_known_as(fed: Federating, actor: ActorRow, old_ap_id: str) -> tuple[str, ...]:
    """A resident (or neighbourhood) coming from elsewhere names its old account, so that the
    old server's Move is accepted. The old account must exist; at most 10 aliases. The
    followers are told with an `Update` of the actor."""
    if not actor.is_local:
        raise MoveRefused("only a local actor can have aliases set here")
    if not old_ap_id.startswith(("https://", "http://")) or old_ap_id == actor.ap_id:
        raise MoveRefused("the old account must be another actor's http(s) URL")
    if old_ap_id in actor.also_known_as:
        return actor.also_known_as
    old = await fed.remote.actor_at(old_ap_id, refresh=True)  # an actor or profile URL
    if old is None or old.gone_at is not None:
        raise MoveRefused(f"the old account {old_ap_id} could not be fetched")
    if old.ap_id == actor.ap_id:
        raise MoveRefused("the old account must be another actor's http(s) URL")
    if old.ap_id in actor.also_known_as:
        return actor.also_known_as
    aliases = [*actor.also_known_as, old.ap_id]
    if len(aliases) > MAX_ALIASES:
        raise MoveRefused(f"an actor can have at most {MAX_ALIASES} aliases")
    await save_aliases(fed, actor, aliases)
    return tuple(aliases)


async def remove_also_known_as(fed: Federating, actor: ActorRow, alias: str) -> tuple[str, ...]:
    """Take `alias` out of the local actor's `alsoKnownAs` (a Move from it is then refused
    here); the followers are told with an `Update`. An alias not listed changes nothing."""
    if not actor.is_local:
        raise MoveRefused("only a local actor can have aliases set here")
    if alias not in actor.also_known_as:
        return actor.also_known_as
    aliases = [a for a in actor.also_known_as if a != alias]
    await save_aliases(fed, actor, aliases)
    return tuple(aliases)


async def save_aliases(fed: Federating, actor: ActorRow, aliases: list[str]) -> None:
    """Store the actor's `alsoKnownAs` and queue an `Update` of the actor to its followers,
    in one transaction."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await store.set_also_known_as(conn, actor.id, aliases)
        await tell_followers(conn, fed, actor)


async def tell_followers(conn: Connection, fed: Federating, actor: ActorRow) -> None:
    """Queue an `Update` of the actor as it is stored now to its followers."""
    updated = await actor_store.actor_by_id(conn, actor.id)
    assert updated is not None
    await publish(
        conn, fed.settings, fed.keyring, updated, await actor_update(conn, updated, fed.settings), to_followers=True
    )
