"""Like and Announce (of public objects only), and their Undo."""

from __future__ import annotations

from activitypub.audience import Visibility, classify
from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import try_delegates
from server.handlers.origins import same_origin
from server.storage import objects as object_store


@dispatcher.on("Like")
async def on_like(ctx: HandlerContext, activity: Activity) -> Result:
    object_id = get_id(activity.get("object"))
    if object_id is None:
        return Skipped("Like without an object")
    known = await object_store.object_by_ap_id(ctx.pool, object_id)
    if known is None or known.deleted_at is not None:
        return Skipped("Like of an object we do not have")
    await object_store.add_reaction(ctx.pool, activity["id"], "Like", ctx.sender.id, object_id)
    return Handled("liked")


@dispatcher.on("Announce")
async def on_announce(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Announce", ctx, activity)
    if claimed is not None:
        return claimed
    object_id = get_id(activity.get("object"))
    if object_id is None:
        return Skipped("Announce without an object")
    known = await object_store.object_by_ap_id(ctx.pool, object_id)
    if known is not None:
        if known.deleted_at is not None or known.visibility not in ("public", "unlisted"):
            return Skipped("Announce of a deleted or non-public object")
    else:
        # Never trust an embedded copy: fetch the object from its own origin.
        document = await ctx.remote.fetch_document(object_id)
        if document is None or get_id(document) != object_id:
            return Skipped("announced object could not be fetched from its origin")
        if classify(document, None) is not Visibility.PUBLIC and classify(document, None) is not Visibility.UNLISTED:
            return Skipped("Announce of a non-public object")
        author = get_id(document.get("attributedTo")) or get_id(document.get("actor"))
        if author is None or not same_origin(author, object_id):
            return Skipped("announced object has no owner on its origin")
        owner = await ctx.remote.actor(author)
        if owner is None:
            return Skipped("owner of the announced object is unknown")
        from server.handlers.content import store_remote_object

        await store_remote_object(ctx, owner, document)
    await object_store.add_reaction(ctx.pool, activity["id"], "Announce", ctx.sender.id, object_id)
    return Handled("announced")


@dispatcher.on("Undo", "Like")
@dispatcher.on("Undo", "Announce")
async def on_undo_reaction(ctx: HandlerContext, activity: Activity) -> Result:
    inner_id = get_id(activity.get("object"))
    if inner_id is None:
        return Skipped("Undo without an object")
    removed = await object_store.remove_reaction(ctx.pool, inner_id, ctx.sender.id)
    return Handled("reaction undone") if removed else Skipped("no such reaction")
