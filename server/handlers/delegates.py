"""Delegates let a feature claim activities that a general handler also sees.

An Accept may answer a Follow (follows.py) or be a Friendica RSVP to an Event; an Announce
may be a boost (reactions.py) or a neighbourhood (Group) relaying a member's post; a Join
may join a neighbourhood or an event. The general handler asks the delegates registered for
its activity type first; a delegate returns None for "not mine", or a Result.

    @delegate("Join")
    async def join_event(ctx, activity): ...
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from federation.dispatch import Result, Skipped
from server.handlers.context import Activity, HandlerContext, dispatcher

Delegate = Callable[[HandlerContext, Activity], Awaitable[Result | None]]
delegates: defaultdict[str, list[Delegate]] = defaultdict(list)


def delegate(activity_type: str) -> Callable[[Delegate], Delegate]:
    def register(fn: Delegate) -> Delegate:
        delegates[activity_type].append(fn)
        return fn

    return register


async def try_delegates(activity_type: str, ctx: HandlerContext, activity: Activity) -> Result | None:
    for fn in delegates[activity_type]:
        result = await fn(ctx, activity)
        if result is not None:
            return result
    return None


async def _only_delegates(kind: str, ctx: HandlerContext, activity: Activity) -> Result:
    return await try_delegates(kind, ctx, activity) or Skipped(f"{kind} of nothing handled here")


@dispatcher.on("Join")
async def on_join(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("Join", ctx, activity)


@dispatcher.on("Leave")
async def on_leave(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("Leave", ctx, activity)


@dispatcher.on("TentativeAccept")
async def on_tentative_accept(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("TentativeAccept", ctx, activity)


@dispatcher.on("Add")
async def on_add(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("Add", ctx, activity)


@dispatcher.on("Remove")
async def on_remove(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("Remove", ctx, activity)


@dispatcher.on("Invite")
async def on_invite(ctx: HandlerContext, activity: Activity) -> Result:
    return await _only_delegates("Invite", ctx, activity)
