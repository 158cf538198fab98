"""While another process floods the inbox with 2,000 signed activities, the local pages
stay responsive, every activity answered 202 is stored, and nothing answers 500."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from activitypub import keys
from server.domain.actors import create_local_actor
from server.storage import inbox as inbox_store
from tests.harness import PEER_ADDRESSES, REPO, Instance, running_instance
from tests.scripted_peer import scripted_peer

FLOOD = 2000


@pytest.fixture
async def unlimited(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """Rate limits off: the worst case, where every request is verified and stored."""
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, rate_limits_enabled=False, workers=2
    ) as inst:
        yield inst


async def run_flood(spec: dict[str, Any]) -> dict[str, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.resilience.flood_client",
        cwd=REPO,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(json.dumps(spec).encode()), 180)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    result: dict[str, int] = json.loads(out)
    return result


async def page_latencies(inst: Instance, url: str, done: asyncio.Event) -> list[float]:
    found: list[float] = []
    for _ in range(2000):  # bounded; stops when the flood ends
        if done.is_set():
            break
        started = time.monotonic()
        async with inst.session.get(url, headers={"Accept": "text/html"}) as resp:
            await resp.read()
            assert resp.status == 200
        found.append(time.monotonic() - started)
        await asyncio.sleep(0.05)
    return found


async def test_pages_stay_responsive_while_the_inbox_is_flooded(unlimited: Instance) -> None:
    await create_local_actor(unlimited.pool, unlimited.settings, kind="Group", username="buurt")
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        spec = {
            "inbox": unlimited.url("/inbox"),
            "actor": alice.ap_id,
            "key_id": alice.key_id,
            "pem": keys.private_key_to_pem(alice.private_key),
            "base": peer.base,
            "count": FLOOD,
            "concurrency": 16,
        }
        done = asyncio.Event()
        measuring = asyncio.create_task(page_latencies(unlimited, unlimited.url("/actors/buurt"), done))
        started = time.monotonic()
        try:
            statuses = await run_flood(spec)
        finally:
            done.set()
        flood_seconds = time.monotonic() - started
        latencies = sorted(await measuring)
    assert sum(statuses.values()) == FLOOD
    assert statuses.get("202", 0) == FLOOD, statuses  # no 500, no 503, nothing dropped
    stored = sum((await inbox_store.count_by_state(unlimited.pool)).values())
    assert stored == FLOOD
    assert len(latencies) >= 10, (len(latencies), flood_seconds)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"flood {FLOOD} in {flood_seconds:.1f} s; page median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms over {len(latencies)} GETs"
    )
    assert statistics.median(latencies) < 0.3
    assert p95 < 1.0


async def test_with_limits_on_a_flood_from_one_address_is_mostly_turned_away(instance: Instance) -> None:
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        spec = {
            "inbox": instance.url("/inbox"),
            "actor": alice.ap_id,
            "key_id": alice.key_id,
            "pem": keys.private_key_to_pem(alice.private_key),
            "base": peer.base,
            "count": FLOOD,
            "concurrency": 16,
        }
        statuses = await run_flood(spec)
    assert set(statuses) <= {"202", "429"}, statuses
    accepted = statuses.get("202", 0)
    # the per-key burst, plus what refills while the flood lasts
    assert instance.settings.inbox_burst_per_key <= accepted < FLOOD
    assert sum((await inbox_store.count_by_state(instance.pool)).values()) == accepted
