"""Claiming deliveries: at most `per_host` rows of one host per claim, so a fan-out to one
big host leaves the claim room for the others and nothing claimed only waits."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.domain.actors import create_local_actor
from server.storage import deliveries as delivery_store
from tests.harness import PEER_ADDRESSES, Instance, running_instance


@pytest.fixture
async def instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance without workers: nothing else claims the rows these tests claim."""
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        yield inst


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


async def test_when_a_host_is_paused_its_waiting_deliveries_move_to_the_end_of_the_pause(instance: Instance) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    inboxes = [(f"https://dead.example/users/u{i}/inbox", "dead.example") for i in range(3)]
    inboxes += [("https://alive.example/users/a/inbox", "alive.example")]
    async with instance.pool.acquire() as conn:
        await delivery_store.insert_activity(
            conn, "https://buurt.example/activities/2", actor.id, {"type": "Create"}, inboxes
        )
    now = datetime.now(UTC)
    soon, later = now + timedelta(minutes=1), now + timedelta(hours=2)
    # not due yet (the instance's worker leaves them alone); u2 is in flight, u1 waits longer
    await instance.pool.execute("UPDATE deliveries SET next_attempt_at = $1", soon)
    await instance.pool.execute("UPDATE deliveries SET next_attempt_at = $1 WHERE inbox_url LIKE '%/u1/%'", later)
    await instance.pool.execute(
        "UPDATE deliveries SET locked_until = now() + interval '5 minutes' WHERE inbox_url LIKE '%/u2/%'"
    )
    pause_end = now + timedelta(minutes=10)
    await delivery_store.update_host(instance.pool, "dead.example", lambda row: replace(row, paused_until=pause_end))
    rows = {
        r["inbox_url"].split("/")[4] if "dead" in r["inbox_url"] else "alive": r["next_attempt_at"]
        for r in await instance.pool.fetch("SELECT inbox_url, next_attempt_at FROM deliveries")
    }
    assert rows["u0"] == pause_end
    assert rows["u1"] == later  # already due after the pause
    assert rows["u2"] == soon  # in flight: its own outcome reschedules it
    assert rows["alive"] == soon
    # a change that keeps the same pause moves nothing again
    await instance.pool.execute("UPDATE deliveries SET next_attempt_at = $1 WHERE inbox_url LIKE '%/u0/%'", soon)
    await delivery_store.update_host(instance.pool, "dead.example", lambda row: replace(row, consecutive_failures=9))
    assert await instance.pool.fetchval("SELECT next_attempt_at FROM deliveries WHERE inbox_url LIKE '%/u0/%'") == soon


async def test_a_claim_leaves_out_the_documents_the_worker_already_has(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    inboxes = [(f"https://far.example/users/u{i}/inbox", "far.example") for i in range(3)]
    async with instance.pool.acquire() as conn:
        first = await delivery_store.insert_activity(
            conn, "https://buurt.example/activities/3", actor.id, {"type": "Create", "n": 1}, inboxes
        )
        second = await delivery_store.insert_activity(
            conn, "https://buurt.example/activities/4", actor.id, {"type": "Update", "n": 2}, inboxes
        )
    claimed = await delivery_store.claim_deliveries(instance.pool, 10, 60, known_activities=[first])
    documents = {(d.activity_id, d.inbox_url): d.document for d in claimed}
    assert len(documents) == 6
    assert all(doc is None for (activity, _), doc in documents.items() if activity == first)
    assert all(doc == {"type": "Update", "n": 2} for (activity, _), doc in documents.items() if activity == second)
    assert await delivery_store.activity_document(instance.pool, first) == {"type": "Create", "n": 1}
    assert await delivery_store.activity_document(instance.pool, -1) is None


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
async def test_the_claim_reads_queued_rows_in_order_from_the_claim_index(instance: Instance, mode: str) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with instance.pool.acquire() as conn:
        activity = await delivery_store.insert_activity(conn, "https://buurt.example/activities/p", actor.id, {}, [])
        # many finished rows and a fan-out waiting
        await conn.execute(
            """INSERT INTO deliveries (activity_id, inbox_url, host, state, finished_at, next_attempt_at)
               SELECT $1, 'https://h' || (n % 200) || '.example/users/u' || n || '/inbox',
                      'h' || (n % 200) || '.example',
                      CASE WHEN n <= 20000 THEN 'done' ELSE 'queued' END,
                      CASE WHEN n <= 20000 THEN now() END, now() + interval '1 day'
               FROM generate_series(1, 25000) AS n""",
            activity,
        )
        await conn.execute("ANALYZE deliveries")
    async with instance.pool.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
        await conn.execute(f"PREPARE claim(int, int, text[], int, bigint[]) AS {delivery_store.CLAIM_SQL}")
        try:
            raw = await conn.fetchval("EXPLAIN (FORMAT JSON) EXECUTE claim(64, 90, '{}', 16, '{}')")
        finally:
            await conn.execute("DEALLOCATE claim")
    scans = _scans(json.loads(raw)[0]["Plan"])
    assert ("Index Scan", "deliveries_claim_order_idx") in scans, scans
    assert all(kind != "Seq Scan" for kind, _ in scans), scans


def _scans(plan: Any) -> list[tuple[str, str]]:
    """(node type, index) of every scan of deliveries in a JSON plan."""
    found = []
    if plan.get("Relation Name") == "deliveries":
        found.append((plan["Node Type"], plan.get("Index Name", "")))
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found
