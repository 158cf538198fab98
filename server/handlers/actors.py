"""Update of an actor (key rotation), Delete of an actor, and Move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import try_delegates
from server.storage import actors as actor_store
from server.storage import follows as follow_store

MOVE_INTERVAL = timedelta(days=7)  # like Mastodon and GoToSocial: one Move per actor per 7 days


async def on_update_actor(ctx: HandlerContext, activity: Activity) -> Result:
    """Refetch the actor from its origin (never trust the embedded copy): new keys and
    profile fields replace the cached ones."""
    if get_id(activity.get("object")) != ctx.sender.ap_id:
        return Skipped("Update of another actor")
    refreshed = await ctx.remote.actor(ctx.sender.ap_id, refresh=True)
    return Handled("actor refreshed") if refreshed else Skipped("actor could not be refetched")


async def on_delete_actor(ctx: HandlerContext, activity: Activity) -> Result:
    async with ctx.pool.acquire() as conn, conn.transaction():
        await actor_store.mark_actor_gone(conn, ctx.sender.ap_id)
        await follow_store.delete_all_follows_of(conn, ctx.sender.id)
    return Handled("actor deleted")


@dispatcher.on("Move")
async def on_move(ctx: HandlerContext, activity: Activity) -> Result:
    """An actor we know moved (a Person or a Group alike): local followers follow the new
    actor — directly when it is ours (e.g. a neighbourhood imported here), else with a
    Follow — and the old follow is undone. Only when the new actor, fetched fresh, lists the
    old one in alsoKnownAs and has not moved itself; each (old, new) pair is processed once."""
    from server.portability.move import redirect_follow
    from server.storage import portability as portability_store

    old_id = get_id(activity.get("object"))
    new_id = get_id(activity.get("target"))
    if old_id != ctx.sender.ap_id or new_id is None or new_id == old_id:
        return Skipped("Move of another actor, without a target, or onto itself")
    if ctx.is_local(new_id):
        new_actor = await actor_store.actor_by_ap_id(ctx.pool, new_id)
    else:
        new_actor = await ctx.remote.actor(new_id, refresh=True)
    if new_actor is None or new_actor.gone_at is not None:
        return Skipped("the new actor could not be fetched")
    if ctx.sender.ap_id not in new_actor.also_known_as:
        return Skipped("the new actor does not list the old one in alsoKnownAs")
    if new_actor.moved_to:
        return Skipped("the new actor has itself moved")
    moved = 0
    async with ctx.pool.acquire() as conn, conn.transaction():
        if await portability_store.move_recorded(conn, "received", ctx.sender.ap_id, new_actor.ap_id):
            return Skipped("this move was processed already")
        if await portability_store.received_move_since(conn, ctx.sender.ap_id, datetime.now(UTC) - MOVE_INTERVAL):
            return Skipped("this actor moved less than 7 days ago: one Move per actor per 7 days")
        await actor_store.set_moved_to(conn, ctx.sender.ap_id, new_actor.ap_id)
        for follower in await actor_store.local_followers(conn, ctx.sender.id):
            moved += await redirect_follow(conn, ctx.settings, ctx.keyring, follower, ctx.sender, new_actor)
        await portability_store.record_move(
            conn,
            "received",
            ctx.sender.ap_id,
            new_actor.ap_id,
            activity_ap_id=get_id(activity),
            follows_moved=moved,
        )
    return Handled(f"moved {moved} follow(s)")


@dispatcher.on("Undo")
async def on_undo(ctx: HandlerContext, activity: Activity) -> Result:
    """An Undo of something else than a Follow, Like, Announce or Block embedded: ask the
    delegates (e.g. Undo{Join} of an event), else find what the id refers to."""
    claimed = await try_delegates("Undo", ctx, activity)
    if claimed is not None:
        return claimed
    from server.handlers.follows import on_undo_follow
    from server.handlers.moderation import on_undo_block
    from server.handlers.reactions import on_undo_reaction

    inner_id = get_id(activity.get("object")) or ""
    if await follow_store.follow_by_ap_id(ctx.pool, inner_id):
        return await on_undo_follow(ctx, activity)
    result = await on_undo_reaction(ctx, activity)
    if isinstance(result, Handled):
        return result
    return await on_undo_block(ctx, activity)
