"""Claiming deliveries: at most `per_host` rows of one host per claim, so a fan-out to one
big host leaves the claim room for the others and nothing claimed only waits."""

from __future__ import annotations

from collections import Counter

from server.domain.actors import create_local_actor
from server.storage import deliveries as delivery_store
from tests.harness import Instance


async def test_a_claim_takes_at_most_per_host_rows_of_one_host(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    inboxes = [(f"https://big.example/users/u{i}/inbox", "big.example") for i in range(50)]
    inboxes += [(f"https://small.example/users/u{i}/inbox", "small.example") for i in range(5)]
    async with instance.pool.acquire() as conn:
        await delivery_store.insert_activity(
            conn, "https://buurt.example/activities/1", actor.id, {"type": "Create"}, inboxes
        )
    claimed = await delivery_store.claim_deliveries(instance.pool, 20, 60, per_host=4)
    assert Counter(d.host for d in claimed) == {"big.example": 4, "small.example": 4}
    rest = await delivery_store.claim_deliveries(instance.pool, 100, 60)
    assert Counter(d.host for d in rest) == {"big.example": 46, "small.example": 1}
