"""Follow, Accept, Reject and Undo{Follow}.

A Follow of one of our actors is accepted at once, unless the actor approves followers by
hand or the follower is on a *limited* domain: then it waits as a follow request
(server.domain.follows.approve_follow / refuse_follow). An accepted follow stays accepted
when the same actor sends Follow again."""

from __future__ import annotations

from activitypub.jsonld import get_id
from federation.dispatch import Handled, Result, Skipped
from server.domain.notifications import notify
from server.domain.publish import new_activity_id, publish
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import try_delegates
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage.actors import ActorRow
from server.storage.pool import Connection


@dispatcher.on("Follow")
async def on_follow(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Follow", ctx, activity)
    if claimed is not None:
        return claimed
    target_id = get_id(activity.get("object"))
    if target_id is None or not ctx.is_local(target_id):
        return Skipped("Follow of an actor that is not ours")
    async with ctx.pool.acquire() as conn, conn.transaction():
        target = await actor_store.actor_by_ap_id(conn, target_id)
        if target is None or not target.is_local:
            return Skipped("Follow of an unknown actor")
        current = await follow_store.follow_state(conn, ctx.sender.id, target.id)
        state = await follow_decision(conn, ctx.sender, target, current)
        await follow_store.upsert_follow(conn, activity["id"], ctx.sender.id, target.id, state)
        if current != "accepted":
            await notify(conn, target.id, "follow" if state == "accepted" else "follow_request", ctx.sender.id, None)
        if state == "accepted":
            await publish(
                conn,
                ctx.settings,
                ctx.keyring,
                target,
                accept_document(ctx, target.ap_id, activity),
                inboxes=[ctx.sender.inbox_url],
            )
    return Handled(f"follow {state}")


async def follow_decision(conn: Connection, follower: ActorRow, target: ActorRow, current: str | None) -> str:
    """accepted | pending: what a remote actor's Follow of one of our actors gets, given the
    `current` state of their follow (None: none yet). A follow that is already accepted
    stays accepted (a repeated Follow is answered again); else it
    waits for the target's approval when the target approves followers by hand or the
    follower is on a *limited* domain (as Mastodon does for limited accounts)."""
    if current == "accepted":
        return "accepted"
    if target.manually_approves:
        return "pending"
    if not follower.is_local and await instance_policy.is_limited_domain(conn, follower.domain):
        return "pending"
    return "accepted"


def accept_document(ctx: HandlerContext, actor: str, follow: Activity, kind: str = "Accept") -> Activity:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": new_activity_id(ctx.settings),
        "type": kind,
        "actor": actor,
        "object": {
            "id": follow["id"],
            "type": "Follow",
            "actor": get_id(follow.get("actor")),
            "object": get_id(follow.get("object")),
        },
        "to": [get_id(follow.get("actor"))],
    }


async def _our_follow(ctx: HandlerContext, activity: Activity) -> tuple[int, int] | None:
    """(follower id, followed id) of the local Follow this Accept/Reject answers."""
    inner = activity.get("object")
    follow_id = get_id(inner)
    pair = await follow_store.follow_by_ap_id(ctx.pool, follow_id) if follow_id else None
    if pair is None and isinstance(inner, dict):  # some servers answer with a new id
        follower = await actor_store.actor_by_ap_id(ctx.pool, get_id(inner.get("actor")) or "")
        if follower is not None and follower.is_local:
            return follower.id, ctx.sender.id
        return None
    if pair is None or pair[1] != ctx.sender.id:
        return None
    return pair


@dispatcher.on("Accept")
async def on_accept(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Accept", ctx, activity)
    if claimed is not None:
        return claimed
    pair = await _our_follow(ctx, activity)
    if pair is None:
        return Skipped("Accept of no follow of ours")
    await follow_store.accept_follow(ctx.pool, *pair)
    return Handled("follow accepted")


@dispatcher.on("Reject")
async def on_reject(ctx: HandlerContext, activity: Activity) -> Result:
    claimed = await try_delegates("Reject", ctx, activity)
    if claimed is not None:
        return claimed
    pair = await _our_follow(ctx, activity)
    if pair is None:
        return Skipped("Reject of no follow of ours")
    await follow_store.delete_follow(ctx.pool, *pair)
    return Handled("follow rejected")


@dispatcher.on("Undo", "Follow")
async def on_undo_follow(ctx: HandlerContext, activity: Activity) -> Result:
    inner = activity.get("object")
    target_id = get_id(inner.get("object")) if isinstance(inner, dict) else None
    if target_id is None:
        pair = await follow_store.follow_by_ap_id(ctx.pool, get_id(inner) or "")
        if pair is None or pair[0] != ctx.sender.id:
            return Skipped("Undo of an unknown follow")
        await follow_store.delete_follow(ctx.pool, *pair)
        return Handled("unfollowed")
    target = await actor_store.actor_by_ap_id(ctx.pool, target_id)
    if target is None:
        return Skipped("Undo Follow of an unknown actor")
    removed = await follow_store.delete_follow(ctx.pool, ctx.sender.id, target.id)
    return Handled("unfollowed") if removed else Skipped("no such follow")
