"""Residents and neighbourhoods post, edit, delete, like and boost; each federates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import nh3

from activitypub.terms import PUBLIC
from server import hooks
from server.domain.federation_context import Federating
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow

AS = "https://www.w3.org/ns/activitystreams"
VISIBILITIES = ("public", "unlisted", "followers", "direct")


class NotAllowed(PermissionError):
    """The actor may not do this to that object."""


def sanitise(html: str) -> str:
    return nh3.clean(html, link_rel="nofollow noopener noreferrer")


def audience(author: ActorRow, visibility: str, mentions: list[str]) -> tuple[list[str], list[str]]:
    followers = author.followers_url or author.ap_id + "/followers"
    if visibility == "public":
        return [PUBLIC], [followers, *mentions]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *mentions]
    if visibility == "followers":
        return [followers], list(mentions)
    return list(mentions), []


async def create_note(
    fed: Federating,
    author: ActorRow,
    content: str,
    *,
    visibility: str = "public",
    in_reply_to: str | None = None,
    mentions: list[str] | None = None,
    extra_cc: list[str] | None = None,
    extra_fields: dict[str, Any] | None = None,
) -> ObjectRow:
    """Publish a Note. `extra_cc` adds addressees (e.g. a neighbourhood the post is for);
    `extra_fields` adds AS2 properties to the Note (e.g. `audience`, `tag`, `summary`)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility}")
    mentioned = mentions or []
    to, cc = audience(author, visibility, mentioned)
    cc = [*cc, *(extra_cc or [])]
    now = datetime.now(UTC).replace(microsecond=0)
    object_id = fed.urls.object(uuid.uuid4().hex)
    note: dict[str, Any] = {
        "id": object_id,
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": sanitise(content),
        "published": now.isoformat().replace("+00:00", "Z"),
        "to": to,
        "cc": cc,
        "url": object_id,
    }
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    note.update(extra_fields or {})
    create = {
        "@context": AS,
        "id": object_id + "/activity",
        "type": "Create",
        "actor": author.ap_id,
        "object": note,
        "to": to,
        "cc": cc,
        "published": note["published"],
    }
    inboxes = await _mention_inboxes(fed, mentioned)
    async with fed.pool.acquire() as conn, conn.transaction():
        row = await object_store.insert_object(
            conn,
            {
                "ap_id": object_id,
                "type": "Note",
                "actor_id": author.id,
                "attributed_to": author.ap_id,
                "in_reply_to": in_reply_to,
                "visibility": visibility,
                "is_local": True,
                "content": note["content"],
                "document": note,
                "published_at": now,
            },
        )
        assert row is not None
        await publish(
            conn,
            fed.settings,
            fed.keyring,
            author,
            create,
            inboxes=inboxes,
            to_followers=visibility != "direct",
        )
    await hooks.run_local_post_published(fed, author, row, create)
    return row


async def _mention_inboxes(fed: Federating, mentioned: list[str]) -> list[str]:
    found = []
    for ap_id in mentioned:
        actor = await fed.remote.actor(ap_id)
        if actor is not None and not actor.is_local:
            found.append(actor.inbox_url)
    return found


async def _own(fed: Federating, author: ActorRow, object_id: str) -> ObjectRow:
    row = await object_store.object_by_ap_id(fed.pool, object_id)
    if row is None or row.deleted_at is not None or row.actor_id != author.id or not row.is_local:
        raise NotAllowed("only the author may change this post")
    return row


async def edit_note(fed: Federating, author: ActorRow, object_id: str, content: str) -> None:
    row = await _own(fed, author, object_id)
    assert row.document is not None
    note = dict(row.document)
    note["content"] = sanitise(content)
    note["updated"] = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    update = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Update",
        "actor": author.ap_id,
        "object": note,
        "to": note.get("to", []),
        "cc": note.get("cc", []),
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        await object_store.update_object(conn, object_id, note["content"], note)
        await publish(conn, fed.settings, fed.keyring, author, update, to_followers=row.visibility != "direct")


async def delete_note(fed: Federating, author: ActorRow, object_id: str) -> None:
    row = await _own(fed, author, object_id)
    delete = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Delete",
        "actor": author.ap_id,
        "object": {"id": object_id, "type": "Tombstone"},
        "to": [PUBLIC],
        "cc": [author.followers_url or ""],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        await object_store.tombstone_object(conn, object_id, author.ap_id, author.id)
        inboxes = [a.inbox_url for a in await actor_store.reactors_of(conn, object_id) if not a.is_local]
        await publish(
            conn,
            fed.settings,
            fed.keyring,
            author,
            delete,
            inboxes=inboxes,
            to_followers=row.visibility != "direct",
        )


async def react(fed: Federating, actor: ActorRow, object_id: str, kind: str) -> str:
    """Like or Announce (boost) an object; an Announce goes to the actor's followers too."""
    if kind not in ("Like", "Announce"):
        raise ValueError(kind)
    target = await object_store.object_by_ap_id(fed.pool, object_id)
    if target is None or target.deleted_at is not None:
        raise NotAllowed("unknown object")
    if kind == "Announce" and target.visibility not in ("public", "unlisted"):
        raise NotAllowed("only public posts can be boosted")
    author = await actor_store.actor_by_ap_id(fed.pool, target.attributed_to)
    activity: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": kind,
        "actor": actor.ap_id,
        "object": object_id,
        "to": [PUBLIC] if kind == "Announce" else [target.attributed_to],
        "cc": [target.attributed_to, actor.followers_url or ""] if kind == "Announce" else [],
    }
    async with fed.pool.acquire() as conn, conn.transaction():
        await object_store.add_reaction(conn, activity["id"], kind, actor.id, object_id)
        inboxes = [author.inbox_url] if author is not None and not author.is_local else []
        await publish(
            conn,
            fed.settings,
            fed.keyring,
            actor,
            activity,
            inboxes=inboxes,
            to_followers=kind == "Announce",
        )
    return str(activity["id"])
