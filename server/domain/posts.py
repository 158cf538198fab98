"""Residents and neighbourhoods post, edit, delete, like and boost; each federates.

A post is a Note, or an Article when it has a title (`name`). It may carry a content
warning (`summary` + `sensitive`), a language (`contentMap`), Mention and Hashtag tags,
image attachments (uploaded with server.domain.media), and any of five visibilities
(server.domain.addressing). What a resident typed becomes a post in server.domain.compose.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from activitypub.jsonld import as_list
from activitypub.terms import PUBLIC
from server import hooks
from server.domain.addressing import VISIBILITIES, audience
from server.domain.federation_context import Federating
from server.domain.html import sanitise_html
from server.domain.media import remove_files
from server.domain.notifications import mentioned_ids, notify_about_post
from server.domain.post_fields import PostOptions, hashtag_tag, mention_tag, option_fields
from server.domain.post_text import MAX_MENTIONS, MAX_TAGS, normalise_tag
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import media as media_store
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow

AS = "https://www.w3.org/ns/activitystreams"
KINDS = ("Note", "Article")
_TAG_TYPES = ("Mention", "Hashtag")
MAX_ATTACHMENTS = 4

__all__ = ["VISIBILITIES", "NotAllowed", "PostOptions", "audience", "create_note", "delete_note", "edit_note", "react"]


class NotAllowed(PermissionError):
    """The actor may not do this to that object."""


def sanitise(html: str) -> str:
    return sanitise_html(html)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


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
    options: PostOptions | None = None,
) -> ObjectRow:
    """Publish a Note (an Article when `options.title` is set). `mentions` are actor ids
    (each gets a Mention tag, delivery and a notification); `extra_cc` adds addressees
    (e.g. a neighbourhood the post is for); `extra_fields` adds AS2 properties."""
    opts = options or PostOptions()
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility}")
    mentioned = await _mentioned_actors(fed, [*(mentions or []), *await _replied_to_author(fed, author, in_reply_to)])
    to, cc = audience(author, visibility, [a.ap_id for a in mentioned], opts.neighbourhood)
    cc = [*cc, *(extra_cc or [])]
    media = await media_store.unattached_media_of(fed.pool, author.id, opts.media_ids[:MAX_ATTACHMENTS])
    now = _now()
    object_id = fed.urls.object(uuid.uuid4().hex)
    html = sanitise_html(content)
    tags = [mention_tag(a) for a in mentioned] + [hashtag_tag(fed.urls, n) for n in opts.hashtags]
    note: dict[str, Any] = {
        "id": object_id,
        "type": "Article" if opts.title else "Note",
        "attributedTo": author.ap_id,
        "content": html,
        "published": _iso(now),
        "to": to,
        "cc": cc,
        "url": object_id,
        **option_fields(fed.urls, html, opts, media),
    }
    if tags:
        note["tag"] = tags
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
    inboxes = [a.inbox_url for a in mentioned if not a.is_local]
    inboxes += await _neighbourhood_inbox(fed, opts.neighbourhood)
    local_mentioned = [a.id for a in mentioned if a.is_local]
    async with fed.pool.acquire() as conn, conn.transaction():
        row = await object_store.insert_object(
            conn,
            {
                "ap_id": object_id,
                "type": note["type"],
                "actor_id": author.id,
                "attributed_to": author.ap_id,
                "in_reply_to": in_reply_to,
                "visibility": visibility,
                "is_local": True,
                "content": html,
                "document": note,
                "published_at": now,
            },
        )
        assert row is not None
        if local_mentioned:
            await object_store.add_recipients(conn, row.id, local_mentioned)
        await tag_store.add_tags(conn, row.id, opts.hashtags)
        await media_store.attach_media(conn, row.id, [m.id for m in media])
        await publish(
            conn,
            fed.settings,
            fed.keyring,
            author,
            create,
            inboxes=inboxes,
            to_followers=visibility in ("public", "unlisted", "followers"),
        )
        await notify_about_post(conn, row, local_mentioned)
    await hooks.run_local_post_published(fed, author, row, create)
    return row


async def _replied_to_author(fed: Federating, author: ActorRow, in_reply_to: str | None) -> list[str]:
    """A reply is addressed to (and mentions) the author of the post it answers."""
    parent = await object_store.object_by_ap_id(fed.pool, in_reply_to) if in_reply_to else None
    if parent is None or parent.deleted_at is not None or parent.attributed_to == author.ap_id:
        return []
    return [parent.attributed_to]


async def _mentioned_actors(fed: Federating, mentioned: list[str]) -> list[ActorRow]:
    found: dict[str, ActorRow] = {}
    for ap_id in dict.fromkeys(mentioned):
        actor = await fed.remote.actor(ap_id)
        if actor is not None:
            found[actor.ap_id] = actor
    return list(found.values())


async def _neighbourhood_inbox(fed: Federating, neighbourhood: str | None) -> list[str]:
    """A remote neighbourhood gets the post in its inbox (it relays to its followers)."""
    if not neighbourhood:
        return []
    group = await fed.remote.actor(neighbourhood)
    return [group.inbox_url] if group is not None and not group.is_local else []


async def _own(fed: Federating, author: ActorRow, object_id: str) -> ObjectRow:
    row = await object_store.object_by_ap_id(fed.pool, object_id)
    if row is None or row.deleted_at is not None or row.actor_id != author.id or not row.is_local:
        raise NotAllowed("only the author may change this post")
    return row


async def edit_note(
    fed: Federating,
    author: ActorRow,
    object_id: str,
    content: str,
    *,
    mentions: list[str] | None = None,
    hashtags: Sequence[str] | None = None,
) -> None:
    """Change a post's text. With `mentions` (actor ids) and `hashtags` (names) — what the
    new text names — its Mention and Hashtag tags are made anew; newly mentioned actors are
    addressed, get the Update delivered and a notification; those mentioned before are not
    notified again (and stay addressed: they have the post already). A post in a
    neighbourhood: the Update goes to a remote neighbourhood's inbox too, and our
    neighbourhoods that announced the post announce it (server.domain.group_posts)."""
    row = await _own(fed, author, object_id)
    assert row.document is not None
    note = dict(row.document)
    note["content"] = sanitise_html(content)
    if isinstance(note.get("contentMap"), dict):
        note["contentMap"] = {language: note["content"] for language in note["contentMap"]}
    note["updated"] = _iso(_now())
    new_mentioned: list[ActorRow] = []
    if mentions is not None or hashtags is not None:
        mentioned = await _mentioned_actors(fed, (mentions or [])[:MAX_MENTIONS])
        before = set(mentioned_ids(row.document))
        new_mentioned = [a for a in mentioned if a.ap_id not in before and a.id != author.id]
        others = [t for t in as_list(note.get("tag")) if not (isinstance(t, dict) and t.get("type") in _TAG_TYPES)]
        tags = [mention_tag(a) for a in mentioned] + [hashtag_tag(fed.urls, n) for n in (hashtags or [])[:MAX_TAGS]]
        note["tag"] = [*others, *tags]
        if not note["tag"]:
            del note["tag"]
        field = "to" if row.visibility == "direct" else "cc"
        addressed = as_list(note.get(field))
        note[field] = [*addressed, *(a.ap_id for a in new_mentioned if a.ap_id not in addressed)]
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
        if hashtags is not None:
            await tag_store.replace_tags(conn, row.id, [normalise_tag(n) for n in hashtags[:MAX_TAGS]])
        local_new = [a.id for a in new_mentioned if a.is_local]
        if local_new:
            await object_store.add_recipients(conn, row.id, local_new)
        signed = await publish(
            conn,
            fed.settings,
            fed.keyring,
            author,
            update,
            inboxes=[a.inbox_url for a in new_mentioned if not a.is_local],
            to_followers=row.visibility in ("public", "unlisted", "followers"),
        )
        await notify_about_post(conn, row, local_new)
    edited = await object_store.object_by_ap_id(fed.pool, object_id)
    if edited is not None:  # a post in a neighbourhood: the group gets or announces the Update
        await hooks.run_local_post_updated(fed, author, edited, signed)


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
            to_followers=row.visibility in ("public", "unlisted", "followers"),
        )
        files = await media_store.delete_media_of_object(conn, object_id)
    await remove_files(fed.settings, files)  # the Delete is queued: the images go from disk


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
