"""Block (and its Undo) and Flag (a report for our moderators)."""

from __future__ import annotations

from activitypub.jsonld import get_id, ids, language_map_value
from federation.dispatch import Handled, Result, Skipped
from server.domain.content_notifications import notify_report
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import try_delegates
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import moderation as moderation_store
from server.storage.actors import ActorRow


@dispatcher.on("Block")
async def on_block(ctx: HandlerContext, activity: Activity) -> Result:
    """A remote actor blocks one of ours: record it and end follows both ways. A Block with
    a `target` is a ban from a community (group_member_bans), never a block between two
    accounts."""
    claimed = await try_delegates("Block", ctx, activity)
    if claimed is not None:
        return claimed
    target = await actor_store.actor_by_ap_id(ctx.pool, get_id(activity.get("object")) or "")
    if target is None or not target.is_local:
        return Skipped("Block of an actor that is not ours")
    await record_block(ctx, activity, target)
    return Handled("blocked")


async def record_block(ctx: HandlerContext, activity: Activity, target: ActorRow) -> None:
    """The sender blocks our `target`: recorded, and follows both ways end."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        await moderation_store.insert_block(conn, activity["id"], ctx.sender.id, target.id)
        await follow_store.delete_follow(conn, ctx.sender.id, target.id)
        await follow_store.delete_follow(conn, target.id, ctx.sender.id)


@dispatcher.on("Undo", "Block")
async def on_undo_block(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("UndoBlock", ctx, activity)
    if claimed is not None:
        return claimed
    removed = await moderation_store.delete_block(ctx.pool, get_id(activity.get("object")) or "", ctx.sender.id)
    return Handled("unblocked") if removed else Skipped("no such block")


@dispatcher.on("Flag")
async def on_flag(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Flag", ctx, activity)
    if claimed is not None:
        return claimed
    targets = [t for t in ids(activity.get("object")) if ctx.is_local(t)]
    if not targets:
        return Skipped("Flag of nothing on this server")
    content = (language_map_value(activity, "content") or "")[:5000]
    async with ctx.pool.acquire() as conn, conn.transaction():
        if await moderation_store.insert_report(conn, activity["id"], ctx.sender.id, targets, content):
            await notify_report(conn, ctx.sender.id, targets, None)
    return Handled("report stored")
