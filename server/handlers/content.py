"""Create, Update and Delete of posts (Note, Article, Page), Events and Questions.

Only the owner may update or delete an object; a Delete that arrives before its Create
leaves a tombstone, and the late Create loses.

Content is sanitised (server.domain.html); hashtags are recorded (at most MAX_TAGS);
attachments stay remote URLs in the stored document and are never fetched here.
Notifications for local actors mentioned or answered come from the hook registered by
server.domain.notifications. An Update replaces the post's hashtags and notifies the
local actors it mentions for the first time (those notified before are not again). An
Update applied here (also of an Event or Question, by their handlers) runs the
remote_object_updated hooks: a neighbourhood of ours that announced the post announces it
(server.domain.group_posts)."""

from __future__ import annotations

from typing import Any

from activitypub.audience import Visibility, classify
from activitypub.jsonld import as_list, get_id, ids, language_map_value, parse_datetime
from federation.dispatch import Handled, Result, Skipped
from server import hooks
from server.domain import notifications
from server.domain.addressing import members_collection
from server.domain.html import sanitise_html
from server.domain.post_text import MAX_TAGS, is_tag_name, normalise_tag
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import try_delegates
from server.handlers.origins import same_origin
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage.actors import ActorRow

CONTENT_TYPES = ("Note", "Article", "Page", "Event", "Question")
MAX_CONTENT = 100_000

notifications.register_hooks()


def sanitise(html: str) -> str:
    return sanitise_html(html[:MAX_CONTENT])


def hashtags_of(obj: dict[str, Any]) -> list[str]:
    """Normalised names of the object's Hashtag tags, at most MAX_TAGS."""
    found: dict[str, None] = {}
    for tag in as_list(obj.get("tag"))[: MAX_TAGS * 4]:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag" and isinstance(tag.get("name"), str):
            name = normalise_tag(tag["name"])
            if is_tag_name(name):
                found.setdefault(name, None)
        if len(found) >= MAX_TAGS:
            break
    return list(found)


def members_urls(obj: dict[str, Any]) -> list[str]:
    """Members collections the object may be addressed to: its neighbourhoods' (`audience`)."""
    return [members_collection(group) for group in ids(obj.get("audience"))[:5]]


async def _embedded_or_fetched(ctx: HandlerContext, activity: Activity) -> dict[str, Any] | None:
    """The activity's object: as embedded when it is the sender's own, else fetched."""
    obj = activity.get("object")
    if isinstance(obj, dict) and same_origin(get_id(obj), ctx.sender.ap_id):
        return obj
    object_id = get_id(obj)
    if object_id is None:
        return None
    return await ctx.remote.fetch_document(object_id)


def owner_of(obj: dict[str, Any]) -> str | None:
    return get_id(obj.get("attributedTo")) or get_id(obj.get("actor"))


async def _local_recipients(ctx: HandlerContext, activity: Activity, obj: dict[str, Any]) -> list[int]:
    found: list[int] = []
    for target in set(ids(activity.get("to")) + ids(activity.get("cc")) + ids(obj.get("to")) + ids(obj.get("cc"))):
        if ctx.is_local(target):
            actor = await actor_store.actor_by_ap_id(ctx.pool, target)
            if actor is not None:
                found.append(actor.id)
    return found


def _row(owner: ActorRow, obj: dict[str, Any], kind: str, visibility: Visibility) -> dict[str, Any]:
    content = language_map_value(obj, "content") or ""
    published = parse_datetime(obj.get("published"))
    fields: dict[str, Any] = {
        "ap_id": obj["id"],
        "type": kind,
        "actor_id": owner.id,
        "attributed_to": owner.ap_id,
        "in_reply_to": get_id(obj.get("inReplyTo")),
        "visibility": visibility.value,
        "is_local": False,
        "content": sanitise(content),
        "document": obj,
    }
    if published is not None:
        fields["published_at"] = published
    return fields


@dispatcher.on("Create")
async def on_create(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Create", ctx, activity)
    if claimed is not None:
        return claimed
    obj = await _embedded_or_fetched(ctx, activity)
    if obj is None or get_id(obj) is None:
        return Skipped("Create without a readable object")
    kind = obj.get("type")
    if kind not in CONTENT_TYPES:
        return Skipped(f"Create of unsupported type {kind}")
    if owner_of(obj) != ctx.sender.ap_id or not same_origin(obj["id"], ctx.sender.ap_id):
        return Skipped("Create of an object the sender does not own")
    return await store_remote_object(ctx, ctx.sender, obj, activity)


async def store_remote_object(
    ctx: HandlerContext, owner: ActorRow, obj: dict[str, Any], activity: Activity | None = None
) -> Result:
    """Store an object of `owner` (already checked to be its author); a tombstone wins."""
    kind = str(obj.get("type"))
    if kind not in CONTENT_TYPES:
        return Skipped(f"unsupported object type {kind}")
    visibility = classify(obj, owner.followers_url, members_urls=members_urls(obj))
    recipients = await _local_recipients(ctx, activity or {}, obj)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await object_store.insert_object(conn, _row(owner, obj, kind, visibility))
        if row is None:
            return Skipped("object known already (or deleted before it arrived)")
        if recipients:
            await object_store.add_recipients(conn, row.id, recipients)
        await tag_store.add_tags(conn, row.id, hashtags_of(obj))
    await hooks.run_remote_object_stored(ctx, activity or {}, row)
    return Handled(f"stored {kind}")


@dispatcher.on("Update")
async def on_update(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Update", ctx, activity)
    if claimed is not None:  # an Event or a Question
        return await _updated(ctx, activity, claimed)
    obj = activity.get("object")
    if isinstance(obj, dict) and obj.get("type") in (
        "Person",
        "Group",
        "Organization",
        "Service",
        "Application",
    ):
        from server.handlers.actors import on_update_actor

        return await on_update_actor(ctx, activity)
    fetched = await _embedded_or_fetched(ctx, activity)
    if fetched is None or get_id(fetched) is None:
        return Skipped("Update without a readable object")
    existing = await object_store.object_by_ap_id(ctx.pool, fetched["id"])
    if existing is None or existing.deleted_at is not None:
        return Skipped("Update of an unknown or deleted object")
    if existing.attributed_to != ctx.sender.ap_id or owner_of(fetched) != ctx.sender.ap_id:
        return Skipped("Update by someone who does not own the object")
    content = sanitise(language_map_value(fetched, "content") or "")
    recipients = await _local_recipients(ctx, activity, fetched)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await object_store.update_object(conn, fetched["id"], content, fetched)
        await tag_store.replace_tags(conn, existing.id, hashtags_of(fetched))
        if recipients:
            await object_store.add_recipients(conn, existing.id, recipients)
    updated = await object_store.object_by_ap_id(ctx.pool, fetched["id"])
    if updated is not None:  # mentions new in this version are notified; earlier ones were already
        await notifications.on_remote_object_stored(ctx, activity, updated)
    return await _updated(ctx, activity, Handled("updated"))


async def _updated(ctx: HandlerContext, activity: Activity, result: Result) -> Result:
    """After an Update was applied by its owner: the remote_object_updated hooks (a
    neighbourhood that announced the post announces the Update)."""
    if isinstance(result, Handled):
        row = await object_store.object_by_ap_id(ctx.pool, get_id(activity.get("object")) or "")
        if row is not None:
            await hooks.run_remote_object_updated(ctx, activity, row)
    return result


@dispatcher.on("Delete")
async def on_delete(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Delete", ctx, activity)
    if claimed is not None:
        return claimed
    object_id = get_id(activity.get("object"))
    if object_id is None:
        return Skipped("Delete without an object")
    if object_id == ctx.sender.ap_id:
        from server.handlers.actors import on_delete_actor

        return await on_delete_actor(ctx, activity)
    existing = await object_store.object_by_ap_id(ctx.pool, object_id)
    if existing is not None and existing.attributed_to != ctx.sender.ap_id:
        return Skipped("Delete by someone who does not own the object")
    await object_store.tombstone_object(ctx.pool, object_id, ctx.sender.ap_id, ctx.sender.id)
    return Handled("deleted" if existing else "tombstone left before the Create")
