"""Peers that are dead, black-holed, slow-loris, answer garbage (HTML, invalid JSON,
10 MiB and endless bodies, endless collections) or 503 with Retry-After: 86400 cost
bounded time and memory, as fetch targets (key fetch in the inbox, object and actor
fetch for an Announce) and as delivery targets, and never hold up a well-behaved peer."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from activitypub import keys
from activitypub.request_signing import sign_request
from server.appkeys import REMOTE
from server.domain import posts
from server.domain.actors import create_local_actor
from server.storage import inbox as inbox_store
from server.storage import objects as object_store
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.resilience.hostile_peers import BEHAVIOURS, MIB, HostilePeer, dead_base, hostile_peer
from tests.scripted_peer import AS, scripted_peer
from tests.server.routes.test_inbox import note_create
from tests.server.test_handlers import send
from tests.server.test_workers import add_follower, sink

FETCH_TIMEOUT = 2.0
# a fetch may queue behind the per-host gate and then take the whole timeout
BOUND = FETCH_TIMEOUT * 2 + 1.5


@pytest.fixture
async def impatient(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    async with running_instance(
        database_server,
        template_database,
        PEER_ADDRESSES[0],
        tmp_path,
        fetch_timeout_seconds=FETCH_TIMEOUT,
        connect_timeout_seconds=1.0,
        workers=2,
    ) as inst:
        yield inst


@pytest.fixture
async def peers() -> AsyncIterator[dict[str, HostilePeer]]:
    async with AsyncExitStack() as stack:
        yield {b: await stack.enter_async_context(hostile_peer(b)) for b in BEHAVIOURS}


def hostile_bases(peers: dict[str, HostilePeer]) -> dict[str, str]:
    return {"dead": dead_base(), **{name: peer.base for name, peer in peers.items()}}


def signed_by_stranger(inst: Instance, base: str) -> tuple[bytes, dict[str, str]]:
    """A Create signed with a key that lives (supposedly) on `base`."""
    actor = f"{base}/users/evil"
    activity = {
        "@context": AS,
        "id": f"{base}/activities/1",
        "type": "Create",
        "actor": actor,
        "to": [f"{AS}#Public"],
        "object": {"id": f"{base}/notes/1", "type": "Note", "attributedTo": actor, "content": "x"},
    }
    body = orjson.dumps(activity)
    headers = sign_request(
        "POST",
        inst.url("/inbox"),
        {"Content-Type": "application/activity+json"},
        body,
        key_id=actor + "#main-key",
        private_key=keys.generate_rsa_key(),
        now=datetime.now(UTC),
    )
    return body, headers


async def timed_post(inst: Instance, body: bytes, headers: dict[str, str]) -> tuple[int, float]:
    started = time.monotonic()
    async with inst.session.post(inst.url("/inbox"), data=body, headers=headers) as resp:
        await resp.read()
        return resp.status, time.monotonic() - started


async def test_hostile_key_hosts_cost_bounded_time_and_memory_and_delay_nobody(
    impatient: Instance, peers: dict[str, HostilePeer]
) -> None:
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        hostile = {
            name: asyncio.create_task(timed_post(impatient, *signed_by_stranger(impatient, base)))
            for name, base in hostile_bases(peers).items()
        }
        await asyncio.sleep(0.3)  # every hostile request is now waiting on its key fetch
        async with scripted_peer() as good:
            alice = good.make_actor("alice")
            body = orjson.dumps(note_create(good, alice))
            status, elapsed = await timed_post(
                impatient, body, good.signed_headers(alice, impatient.url("/inbox"), body)
            )
        assert status == 202 and elapsed < 1.0, elapsed
        results = {name: await task for name, task in hostile.items()}
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    for name, (status, elapsed) in results.items():
        assert status == 401, name
        assert elapsed < BOUND, (name, elapsed)
    assert peak < 24 * MIB, peak  # the 10 MiB and endless bodies were never held whole
    assert peers["endless"].bytes_sent < 8 * MIB
    assert peers["huge"].bytes_sent < 8 * MIB
    assert sum((await inbox_store.count_by_state(impatient.pool)).values()) == 1


def announce(base: str, actor: str, object_id: str) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": f"{base}/activities/{abs(hash(object_id))}",
        "type": "Announce",
        "actor": actor,
        "object": object_id,
        "to": [f"{AS}#Public"],
    }


async def handled(inst: Instance) -> dict[str, int]:
    return await inbox_store.count_by_state(inst.pool)


async def test_hostile_objects_and_authors_in_announces_cost_bounded_time(
    impatient: Instance, peers: dict[str, HostilePeer]
) -> None:
    async with scripted_peer() as good:
        alice = good.make_actor("alice")
        targets = []
        for base in hostile_bases(peers).values():
            targets.append(f"{base}/objects/1")  # the object fetch misbehaves
            targets.append(f"{base}/note")  # the note is fine, its author's fetch misbehaves
        started = time.monotonic()
        for target in targets:
            await send(impatient, good, alice, announce(good.base, alice.ap_id, target))
        await wait_for(lambda: _all_finished(impatient, len(targets)), timeout=60)
        elapsed = time.monotonic() - started
    # two inbox loops, at most two bounded fetches per Announce
    assert elapsed < len(targets) * BOUND / 2, elapsed
    states = await handled(impatient)
    assert states.get("failed", 0) == 0 and states.get("queued", 0) == 0
    for base in hostile_bases(peers).values():
        assert await object_store.object_by_ap_id(impatient.pool, f"{base}/objects/1") is None
        # the note is stored only if its author could be read: never from these hosts
        assert await object_store.object_by_ap_id(impatient.pool, f"{base}/note") is None


async def _all_finished(inst: Instance, n: int) -> bool:
    states = await handled(inst)
    return states.get("done", 0) + states.get("ignored", 0) + states.get("failed", 0) >= n


async def test_a_black_holed_fetch_does_not_hold_up_other_peers_activities(
    impatient: Instance, peers: dict[str, HostilePeer]
) -> None:
    async with scripted_peer() as good:
        alice, bob = good.make_actor("alice"), good.make_actor("bob")
        for i in range(4):
            await send(impatient, good, alice, announce(good.base, alice.ap_id, f"{peers['blackhole'].base}/o/{i}"))
        create = note_create(good, bob)
        started = time.monotonic()
        await send(impatient, good, bob, create)
        await wait_for(lambda: object_store.object_by_ap_id(impatient.pool, create["object"]["id"]), timeout=30)
        assert time.monotonic() - started < 1.5


async def test_hostile_delivery_targets_cost_bounded_time_and_delay_nobody(
    impatient: Instance, peers: dict[str, HostilePeer]
) -> None:
    async def accept(request: web.Request) -> web.StreamResponse:
        return web.Response(status=202)

    buurt = await create_local_actor(impatient.pool, impatient.settings, kind="Group", username="buurt")
    remote = impatient.app[REMOTE]
    bases = hostile_bases(peers)
    async with sink("127.0.0.3", accept) as (good_base, hits):
        for name, base in bases.items():
            await add_follower(remote, impatient.pool, buurt, base, name)
        await add_follower(remote, impatient.pool, buurt, good_base, "ann")
        started = asyncio.get_running_loop().time()
        await posts.create_note(federating(impatient), buurt, "hallo")
        await wait_for(lambda: asyncio.sleep(0, bool(hits)), timeout=10)
        assert hits[0] - started < 1.5  # the good peer is not held up by any of the others
        rows = await wait_for(lambda: _all_attempted(impatient, len(bases) + 1), timeout=BOUND + 5)
    assert asyncio.get_running_loop().time() - started < BOUND + 5
    by_host = {row["host"]: row for row in rows}
    retry = by_host[bases["retry"].split("//")[1]]
    assert retry["state"] == "queued"
    hours = (retry["next_attempt_at"] - datetime.now(UTC)) / timedelta(hours=1)
    assert 5.5 < hours < 6.1  # Retry-After: 86400 honoured, capped at 6 hours
    for name in ("dead", "blackhole", "slowloris"):
        assert by_host[bases[name].split("//")[1]]["state"] == "queued", name  # retried later, not lost
    assert peers["endless"].bytes_sent < 8 * MIB
    assert peers["huge"].bytes_sent < 8 * MIB


async def _all_attempted(inst: Instance, n: int) -> list[Any] | None:
    """Every delivery answered, rescheduled or given up on; none left in flight."""
    rows = await inst.pool.fetch("SELECT host, state, attempts, next_attempt_at, locked_until FROM deliveries")
    settled = [r for r in rows if r["attempts"] >= 1 and r["locked_until"] is None]
    return list(rows) if len(rows) == n and len(settled) == n else None
