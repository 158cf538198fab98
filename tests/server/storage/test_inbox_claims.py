"""Inbox claims read queued rows only, in id order from their own index, whatever the
statistics say about the finished rows around them (a claim that walked the primary key
through every finished row got slower as the table grew)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.storage.inbox import CLAIM_SQL
from tests.harness import Instance

DONE_ROWS = 20_000


async def _fill(instance: Instance) -> None:
    await instance.pool.execute(
        """INSERT INTO inbox_items (activity_id, actor_ap_id, document, state, finished_at)
           SELECT 'https://a.example/done/' || n, 'https://a.example/users/' || (n % 50), '{}'::jsonb,
                  'done', now()
           FROM generate_series(1, $1) AS n""",
        DONE_ROWS,
    )
    # queued rows due later, so the instance's own workers leave them alone
    await instance.pool.execute(
        """INSERT INTO inbox_items (activity_id, actor_ap_id, document, next_attempt_at)
           SELECT 'https://a.example/queued/' || n, 'https://a.example/users/' || (n % 50), '{}'::jsonb,
                  now() + interval '1 day'
           FROM generate_series(1, 200) AS n"""
    )
    await instance.pool.execute("ANALYZE inbox_items")


def _scans(plan: Any) -> list[tuple[str, str]]:
    """(node type, index) of every scan of inbox_items in a JSON plan."""
    found = []
    if plan.get("Relation Name") == "inbox_items":
        found.append((plan["Node Type"], plan.get("Index Name", "")))
    for child in plan.get("Plans", []):
        found.extend(_scans(child))
    return found


@pytest.mark.parametrize("mode", ["force_custom_plan", "force_generic_plan"])
async def test_the_claim_reads_the_queued_rows_index(instance: Instance, mode: str) -> None:
    await _fill(instance)
    async with instance.pool.acquire() as conn, conn.transaction():
        await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
        await conn.execute(f"PREPARE claim(int, int, text[], int, text) AS {CLAIM_SQL}")
        try:
            raw = await conn.fetchval("EXPLAIN (FORMAT JSON) EXECUTE claim(32, 90, '{}', 4, 'worker')")
        finally:
            await conn.execute("DEALLOCATE claim")
    scans = _scans(json.loads(raw)[0]["Plan"])
    # the candidates come from the claim index; the only other scans are lookups by id (the
    # chosen rows locked, then updated)
    assert ("Index Scan", "inbox_items_claim_idx") in scans, scans
    assert all(kind != "Seq Scan" for kind, _ in scans), scans
    assert sum(index == "inbox_items_pkey" for _, index in scans) <= 2, scans
