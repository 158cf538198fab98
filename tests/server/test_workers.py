"""The delivery queue against real peers on loopback: retries honour Retry-After, a dead
host is circuit-broken, a slow host does not hold up the others, 410 marks actors gone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from federation.actors import RemoteActor
from server.appkeys import REMOTE
from server.domain import posts
from server.domain.actors import create_local_actor
from server.remote import RemoteActors
from server.storage import actors as actor_store
from server.storage import deliveries as delivery_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from tests.harness import Instance, federating, free_port, wait_for


@asynccontextmanager
async def sink(address: str, behaviour: Any) -> AsyncIterator[tuple[str, list[float]]]:
    """An inbox server; `behaviour(request)` returns the response. Yields (base, hit times)."""
    hits: list[float] = []
    port = free_port(address)

    async def handle(request: web.Request) -> web.StreamResponse:
        await request.read()
        hits.append(asyncio.get_running_loop().time())
        response: web.StreamResponse = await behaviour(request)
        return response

    app = web.Application()
    app.router.add_post("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    try:
        yield f"http://{address}:{port}", hits
    finally:
        await runner.cleanup()


async def add_follower(remote: RemoteActors, pool: Pool, followed: ActorRow, base: str, name: str) -> ActorRow:
    """A remote follower with its own inbox at `base` (no shared inbox), stored directly."""
    ap_id = f"{base}/users/{name}"
    actor = RemoteActor(
        ap_id=ap_id,
        kind="Person",
        username=name,
        domain=base.split("//")[1],
        name=name,
        summary="",
        url=None,
        inbox=f"{ap_id}/inbox",
        outbox=None,
        shared_inbox=None,
        followers=None,
        following=None,
        featured=None,
        icon=None,
        image=None,
        manually_approves=False,
        discoverable=True,
        also_known_as=(),
        moved_to=None,
        keys=(),
        document={"id": ap_id},
    )
    row = await remote.store(actor)
    await follow_store.upsert_follow(pool, f"{ap_id}#follow", row.id, followed.id, "accepted")
    return row


async def states(inst: Instance) -> dict[str, int]:
    return await delivery_store.count_by_state(inst.pool)


async def accepted(request: web.Request) -> web.StreamResponse:
    return web.Response(status=202)


async def test_delivery_is_signed_and_done(instance: Instance) -> None:
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        return web.Response(status=202)

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with sink("127.0.0.3", record) as (base, _):
        await add_follower(instance.app[REMOTE], instance.pool, buurt, base, "ann")
        await posts.create_note(federating(instance), buurt, "hallo")
        assert await wait_for(lambda: _state_is(instance, "done", 1))
    assert "Signature-Input" in seen[0] and "Content-Digest" in seen[0]  # RFC 9421 first
    host = await delivery_store.host_row(instance.pool, base.split("//")[1])
    assert host.signature_scheme == "rfc9421"


async def test_falls_back_to_cavage_and_remembers_it(instance: Instance) -> None:
    async def cavage_only(request: web.Request) -> web.StreamResponse:
        return web.Response(status=401 if "Signature-Input" in request.headers else 202)

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with sink("127.0.0.3", cavage_only) as (base, hits):
        await add_follower(instance.app[REMOTE], instance.pool, buurt, base, "ann")
        await posts.create_note(federating(instance), buurt, "hallo")
        assert await wait_for(lambda: _state_is(instance, "done", 1))
        assert len(hits) == 2  # one knock with RFC 9421, one with draft-cavage
        host = await delivery_store.host_row(instance.pool, base.split("//")[1])
        assert host.signature_scheme == "cavage"
        await posts.create_note(federating(instance), buurt, "nog eens")
        assert await wait_for(lambda: _state_is(instance, "done", 2))
        assert len(hits) == 3  # remembered: straight to draft-cavage


async def test_503_with_retry_after_is_rescheduled_not_lost(instance: Instance) -> None:
    async def unavailable(request: web.Request) -> web.StreamResponse:
        return web.Response(status=503, headers={"Retry-After": "86400"})

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with sink("127.0.0.3", unavailable) as (base, _):
        await add_follower(instance.app[REMOTE], instance.pool, buurt, base, "ann")
        before = datetime.now(UTC)
        await posts.create_note(federating(instance), buurt, "hallo")
        row = await wait_for(lambda: _retried(instance))
        assert row["state"] == "queued" and row["attempts"] == 1
        wait_hours = (row["next_attempt_at"] - before).total_seconds() / 3600
        assert 5.9 < wait_hours < 6.1  # Retry-After honoured, capped at 6 h
        assert "503" in row["last_error"]


async def test_dead_host_is_circuit_broken_while_others_are_served(instance: Instance) -> None:
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    dead_port = free_port("127.0.0.4")  # nothing listens here
    dead = f"http://127.0.0.4:{dead_port}"
    async with sink("127.0.0.3", accepted) as (live, hits):
        for i in range(6):
            await add_follower(instance.app[REMOTE], instance.pool, buurt, dead, f"gone{i}")
        await add_follower(instance.app[REMOTE], instance.pool, buurt, live, "ann")
        await posts.create_note(federating(instance), buurt, "hallo")
        assert await wait_for(lambda: _state_is(instance, "done", 1), timeout=10)
        assert len(hits) == 1
        host = await wait_for(lambda: _paused(instance, f"127.0.0.4:{dead_port}"))
        assert host.consecutive_failures >= 5
        assert (await states(instance)).get("queued") == 6  # retried later, not lost


async def test_slow_host_does_not_delay_the_others(instance: Instance) -> None:
    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(20)
        return web.Response(status=202)

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with (
        sink("127.0.0.4", slow) as (slow_base, _),
        sink("127.0.0.3", accepted) as (fast, hits),
    ):
        for i in range(12):  # more than the per-host concurrency cap
            await add_follower(instance.app[REMOTE], instance.pool, buurt, slow_base, f"slow{i}")
        await add_follower(instance.app[REMOTE], instance.pool, buurt, fast, "ann")
        start = asyncio.get_running_loop().time()
        await posts.create_note(federating(instance), buurt, "hallo")
        await wait_for(lambda: _state_is(instance, "done", 1), timeout=10)
        assert hits and hits[0] - start < 3.0


async def test_410_marks_the_remote_actor_gone(instance: Instance) -> None:
    async def gone(request: web.Request) -> web.StreamResponse:
        return web.Response(status=410)

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with sink("127.0.0.3", gone) as (base, _):
        follower = await add_follower(instance.app[REMOTE], instance.pool, buurt, base, "ann")
        await posts.create_note(federating(instance), buurt, "hallo")
        assert await wait_for(lambda: _state_is(instance, "failed", 1))
        row = await actor_store.actor_by_id(instance.pool, follower.id)
        assert row is not None and row.gone_at is not None
        assert await follow_store.follower_inboxes(instance.pool, buurt.id) == []


async def _state_is(inst: Instance, state: str, n: int) -> bool:
    return (await states(inst)).get(state, 0) == n


async def _retried(inst: Instance) -> Any:
    rows = await inst.pool.fetch("SELECT state, attempts, next_attempt_at, last_error FROM deliveries")
    return rows[0] if rows and rows[0]["last_error"] else None


async def _paused(inst: Instance, host: str) -> Any:
    row = await delivery_store.host_row(inst.pool, host)
    return row if row.paused_until is not None else None


async def test_a_body_the_claim_left_out_is_read_again_once_dropped_from_the_cache(instance: Instance) -> None:
    from server.metrics import Metrics
    from server.storage.deliveries import Delivery, HostRow
    from server.workers import Workers

    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    document = {"type": "Create", "id": "https://buurt.example/activities/9"}
    async with instance.pool.acquire() as conn:
        activity = await delivery_store.insert_activity(conn, document["id"], buurt.id, document, [])
    workers = Workers(instance.settings, instance.pool, None, None, None, Metrics())  # type: ignore[arg-type]
    host = HostRow("far.example", 0, None, (), None, None, None)
    delivery = Delivery(1, activity, "https://far.example/inbox", "far.example", 1, buurt.id, None, host)
    body = await workers._body(delivery)
    assert body is not None and json.loads(body) == document
    gone = Delivery(2, -1, "https://far.example/inbox", "far.example", 1, buurt.id, None, host)
    assert await workers._body(gone) is None
