"""One incoming activity may cause at most MAX_FETCHES_PER_ACTIVITY remote fetches, however
its handlers (and the handlers they call) ask: the budget is shared through the context."""

from __future__ import annotations

import dataclasses

from server.appkeys import HTTP, KEYRING, REMOTE
from server.fetch_budget import MAX_FETCHES_PER_ACTIVITY, FetchBudget
from server.handlers.context import HandlerContext
from server.remote import utcnow
from server.storage import actors as actor_store
from tests.harness import Instance
from tests.scripted_peer import AS, scripted_peer


def test_budget_counts_down_and_stays_empty() -> None:
    budget = FetchBudget(2)
    assert budget.spend() and budget.spend()
    assert budget.exhausted
    assert not budget.spend()
    assert budget.spent == 2


async def context(inst: Instance) -> HandlerContext:
    sender = await actor_store.local_actor(inst.pool, "instance.actor")
    assert sender is not None
    return HandlerContext(
        pool=inst.pool,
        settings=inst.settings,
        remote=inst.app[REMOTE],
        keyring=inst.app[KEYRING],
        http=inst.app[HTTP],
        sender=sender,
        recipient_id=None,
        clock=utcnow,
    )


async def test_one_activity_fetches_at_most_twenty_times(instance: Instance) -> None:
    async with scripted_peer() as peer:
        for i in range(30):
            peer.serve(f"/notes/{i}", {"@context": AS, "id": f"{peer.base}/notes/{i}", "type": "Note"})
        ctx = await context(instance)
        nested = dataclasses.replace(ctx, depth=1)  # e.g. an Announce handling its object
        found = [await ctx.remote.fetch_document(f"{peer.base}/notes/{i}") for i in range(15)]
        found += [await nested.remote.fetch_document(f"{peer.base}/notes/{i}") for i in range(15, 30)]
        assert sum(1 for doc in found if doc is not None) == MAX_FETCHES_PER_ACTIVITY
        assert len([r for r in peer.requests if r[0] == "GET"]) == MAX_FETCHES_PER_ACTIVITY
        # actor lookups share the budget: a spent budget answers from the cache only
        assert await ctx.remote.actor(f"{peer.base}/users/nobody") is None
        assert len(peer.requests) == MAX_FETCHES_PER_ACTIVITY
        # the next activity gets a fresh budget; the shared services were never limited
        fresh = await context(instance)
        assert await fresh.remote.fetch_document(f"{peer.base}/notes/0") is not None
        assert await instance.app[REMOTE].fetch_document(f"{peer.base}/notes/1") is not None
