"""Incoming polls and votes (Mastodon's shape, which Pleroma, Misskey and others share).

* `Create{Question}` from a remote server: stored as a poll with the counts it reports.
* `Update{Question}`: the new counts, end and close time.
* `Create{Note}` with a `name`, no text and `inReplyTo` a LOCAL Question: a vote. Each
  actor counts once per option (once per poll when it takes one choice); a vote after the
  poll closed is ignored and counted; the new results go out as an Update of the Question,
  batched (server.domain.polls.vote_counted).
"""

from __future__ import annotations

from typing import Any

from activitypub.jsonld import get_id, language_map_value, parse_datetime
from federation.dispatch import Handled, Result, Skipped
from server.convert.polls import poll_from_as, vote_from_as
from server.domain.federation_context import Federating
from server.domain.polls import record_vote, vote_counted
from server.handlers.content import sanitise, store_remote_object
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.handlers.origins import same_origin
from server.storage import objects as object_store
from server.storage import polls as poll_store


def _owned_question(ctx: HandlerContext, activity: Activity) -> dict[str, Any] | None:
    obj = activity.get("object")
    if not isinstance(obj, dict) or obj.get("type") != "Question" or not isinstance(obj.get("id"), str):
        return None
    if get_id(obj.get("attributedTo")) != ctx.sender.ap_id or not same_origin(obj["id"], ctx.sender.ap_id):
        return None
    return obj


def is_stale(stored: dict[str, Any] | None, received: dict[str, Any]) -> bool:
    """True when `received` says it was updated before the copy we have (two Updates
    delivered out of order: the newer one stays)."""
    before = parse_datetime((stored or {}).get("updated"))
    after = parse_datetime(received.get("updated"))
    return before is not None and after is not None and after < before


@delegate("Create")
async def on_create_question(ctx: HandlerContext, activity: Activity) -> Result | None:
    obj = _owned_question(ctx, activity)
    if obj is None:
        return None
    poll = poll_from_as(obj)
    if poll is None:
        return Skipped("Question without usable options")
    result = await store_remote_object(ctx, ctx.sender, obj, activity)
    row = await object_store.object_by_ap_id(ctx.pool, obj["id"])
    if isinstance(result, Handled) and row is not None:
        await poll_store.insert_poll(
            ctx.pool,
            row.id,
            multiple=poll.multiple,
            ends_at=poll.ends_at,
            closed_at=poll.closed_at,
            options=poll.options,
            reported_voters=poll.voters,
        )
    return result


@delegate("Update")
async def on_update_question(ctx: HandlerContext, activity: Activity) -> Result | None:
    obj = _owned_question(ctx, activity)
    if obj is None:
        return None
    existing = await object_store.object_by_ap_id(ctx.pool, obj["id"])
    if existing is None or existing.deleted_at is not None or existing.actor_id != ctx.sender.id:
        return Skipped("Update of an unknown or deleted poll, or not by its owner")
    if is_stale(existing.document, obj):
        return Skipped("an older Update of the poll (deliveries crossed)")
    poll = poll_from_as(obj)
    if poll is None:
        return Skipped("Question without usable options")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await object_store.update_object(conn, obj["id"], sanitise(language_map_value(obj, "content") or ""), obj)
        await poll_store.update_reported(
            conn,
            existing.id,
            ends_at=poll.ends_at,
            closed_at=poll.closed_at,
            reported_voters=poll.voters,
            options=poll.options,
        )
    return Handled("poll results updated")


@delegate("Create")
async def on_vote(ctx: HandlerContext, activity: Activity) -> Result | None:
    obj = activity.get("object")
    vote = vote_from_as(obj) if isinstance(obj, dict) else None
    if vote is None or not isinstance(obj, dict):
        return None
    question_id, option = vote
    poll = await poll_store.poll_by_ap_id(ctx.pool, question_id)
    if poll is None:
        return None  # a titled reply to something else: the general handler decides
    if not poll.is_local:
        return Skipped("vote in a poll that is not ours")
    if get_id(obj.get("attributedTo")) != ctx.sender.ap_id:
        return Skipped("vote attributed to someone else")
    vote_id = get_id(obj) or activity["id"]
    fed = Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)
    async with ctx.pool.acquire() as conn, conn.transaction():
        outcome = await record_vote(conn, question_id, ctx.sender.id, option, vote_id, ctx.clock())
        if outcome.counted:
            await vote_counted(conn, fed, question_id)
    if not outcome.counted:
        return Skipped(f"vote not counted: {outcome.reason}")
    return Handled("vote counted")
