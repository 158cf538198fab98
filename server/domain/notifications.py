"""Notifications for local actors: mentions, replies, follows, joins — and whatever other
features report through `notify` (RSVPs, reports for moderators).

Made from local actions (server.domain.compose) and from incoming activities (the
`remote_object_stored` hook registered below; follows from server.handlers.follows).
Mentions are capped per post: a post naming 10,000 people notifies at most
MAX_MENTIONS of them. Notifications are only ever shown while the recipient may read the
object they are about (server.storage.notifications). Mentions and replies from an actor
on a *limited* domain notify only residents who follow that actor.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from activitypub.jsonld import as_list, get_id
from server import hooks
from server.domain.post_text import MAX_MENTIONS
from server.storage import actors as actor_store
from server.storage import notifications as notification_store
from server.storage import objects as object_store
from server.storage.actors import Db
from server.storage.objects import ObjectRow

if TYPE_CHECKING:
    from server.handlers.context import HandlerContext

KINDS = ("mention", "reply", "follow", "follow_request", "join", "rsvp", "report")
# From an actor on a *limited* domain these reach only residents who follow that actor.
UNLESS_LIMITED = frozenset({"mention", "reply", "like", "boost"})
_KIND_RE = re.compile(r"[a-z_]{1,32}")


async def notify(db: Db, recipient_id: int, kind: str, actor_id: int | None, object_ap_id: str | None) -> bool:
    """Tell a local actor about something; True when a new notification was recorded.
    Remote recipients, self-notifications, blocked actors and repeats are ignored, and so
    are mentions, replies, likes and boosts by an actor on a limited domain whom the
    recipient does not follow."""
    if not _KIND_RE.fullmatch(kind):
        raise ValueError(f"bad notification kind {kind!r}")
    return await notification_store.insert_notification(
        db, recipient_id, kind, actor_id, object_ap_id, unless_limited=kind in UNLESS_LIMITED
    )


def mentioned_ids(document: dict[str, Any] | None) -> list[str]:
    """Actor ids of the Mention tags of a post, deduplicated, at most MAX_MENTIONS."""
    found: dict[str, None] = {}
    for tag in as_list((document or {}).get("tag"))[: MAX_MENTIONS * 4]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            href = get_id(tag.get("href"))
            if href:
                found.setdefault(href, None)
        if len(found) >= MAX_MENTIONS:
            break
    return list(found)


async def notify_about_post(db: Db, row: ObjectRow, mentioned_local: list[int]) -> None:
    """A reply notification for the local author of the post this one answers, and a
    mention notification for each other local actor named in it (at most MAX_MENTIONS)."""
    replied_to = await _local_parent_author(db, row.in_reply_to)
    if replied_to is not None:
        await notify(db, replied_to, "reply", row.actor_id, row.ap_id)
    for recipient in mentioned_local[:MAX_MENTIONS]:
        if recipient != replied_to:
            await notify(db, recipient, "mention", row.actor_id, row.ap_id)


async def _local_parent_author(db: Db, in_reply_to: str | None) -> int | None:
    parent = await object_store.object_by_ap_id(db, in_reply_to) if in_reply_to else None
    if parent is None or not parent.is_local or parent.deleted_at is not None:
        return None
    return parent.actor_id


async def on_remote_object_stored(ctx: HandlerContext, activity: dict[str, Any], row: ObjectRow) -> None:
    """A remote post arrived: notify the local actors it mentions or answers."""
    local: list[int] = []
    for ap_id in mentioned_ids(row.document):
        if ctx.is_local(ap_id):
            actor = await actor_store.actor_by_ap_id(ctx.pool, ap_id)
            if actor is not None and actor.is_local:
                local.append(actor.id)
    await notify_about_post(ctx.pool, row, local)


def register_hooks() -> None:
    if on_remote_object_stored not in hooks.remote_object_stored:
        hooks.remote_object_stored.append(on_remote_object_stored)
