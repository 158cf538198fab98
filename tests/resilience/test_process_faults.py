"""Processes killed with SIGKILL lose nothing: queued deliveries are all sent after a
restart (at least once), and activities answered 202 are processed after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from federation.http import HttpClient
from federation.ports import RequestSigner
from server.config import Settings
from server.domain import posts
from server.domain.actors import create_local_actor
from server.domain.federation_context import Federating
from server.keyring import KeyRing
from server.remote import RemoteActors
from server.storage import follows as follow_store
from server.storage import inbox as inbox_store
from server.storage.pool import create_pool
from tests.harness import (
    PEER_NETWORKS,
    create_database,
    drop_database,
    free_port,
    unique_name,
    wait_for,
)
from tests.scripted_peer import AS, scripted_peer
from tests.server.test_workers import add_follower, sink

BIN = Path(sys.executable).parent / "buurtplein"


@asynccontextmanager
async def database(server_dsn: str, template: str) -> AsyncIterator[str]:
    name = unique_name("bp_fault")
    dsn = await create_database(server_dsn, name, template)
    try:
        yield dsn
    finally:
        await drop_database(server_dsn, name)


async def start_server(dsn: str, port: int, tmp: Path, **env: str) -> asyncio.subprocess.Process:
    full_env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "BUURTPLEIN_DOMAIN": f"127.0.0.2:{port}",
        "BUURTPLEIN_DATA_DIR": str(tmp),
        "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31",
        "BUURTPLEIN_WORKER_LEASE_SECONDS": "3",
        "BUURTPLEIN_LOG_LEVEL": "warning",
        **env,
    }
    proc = await asyncio.create_subprocess_exec(
        str(BIN),
        "serve",
        "--host",
        "127.0.0.2",
        "--port",
        str(port),
        env=full_env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(600):  # up to a minute: a busy CI machine starts processes slowly
            if proc.returncode is not None:
                break
            try:
                async with session.get(f"http://127.0.0.2:{port}/readyz") as resp:
                    if resp.status == 200:
                        return proc
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    await stop(proc, signal.SIGKILL)
    raise AssertionError(f"server did not become ready (exit status {proc.returncode})")


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it may have exited a moment ago
            proc.send_signal(sig)
        await asyncio.wait_for(proc.wait(), 20)


@asynccontextmanager
async def queued_fan_out(
    database_server: str, template: str, *, followers: int, delay: float, domain: str
) -> AsyncIterator[tuple[str, dict[str, int]]]:
    """A database with one neighbourhood, `followers` remote followers on a sink that takes
    `delay` seconds per POST, and one post queued for all of them (no process running yet).
    Yields the database URL and the sink's count of POSTs per inbox path."""
    received: dict[str, int] = {}

    async def inbox(request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        received[request.path] = received.get(request.path, 0) + 1
        return web.Response(status=202)

    settings = Settings(domain=domain, allowed_private_networks=PEER_NETWORKS)
    async with sink("127.0.0.3", inbox) as (base, _), database(database_server, template) as dsn:
        pool = await create_pool(dsn)
        try:
            buurt = await create_local_actor(pool, settings, kind="Group", username="buurt")
            async with HttpClient(settings.base_url) as client:
                remote = RemoteActors(pool, client, no_signer)
                for i in range(followers):
                    await add_follower(remote, pool, buurt, base, f"f{i}")
                await posts.create_note(Federating(pool, settings, KeyRing(pool), remote), buurt, "Buurtfeest!")
            assert len(await follow_store.follower_inboxes(pool, buurt.id)) == followers
        finally:
            await pool.close()
        yield dsn, received


async def test_worker_killed_mid_fan_out_loses_no_delivery(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    port = free_port("127.0.0.2")
    followers = 120
    async with queued_fan_out(
        database_server, template_database, followers=followers, delay=0.1, domain=f"127.0.0.2:{port}"
    ) as (dsn, received):
        proc = await start_server(dsn, port, tmp_path)
        await wait_for(lambda: _at_least(received, 10), timeout=30)
        await stop(proc, signal.SIGKILL)
        assert len(received) < followers, "the fan-out finished before the kill"

        proc = await start_server(dsn, port, tmp_path)
        try:
            await wait_for(lambda: _at_least(received, followers), timeout=60)
        finally:
            await stop(proc)
        assert set(received) == {f"/users/f{i}/inbox" for i in range(followers)}


async def test_activities_answered_202_are_processed_after_a_kill(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    port = free_port("127.0.0.2")
    settings = Settings(domain=f"127.0.0.2:{port}")
    async with database(database_server, template_database) as dsn, scripted_peer() as peer:
        pool = await create_pool(dsn)
        try:
            await create_local_actor(pool, settings, kind="Group", username="buurt")
            proc = await start_server(dsn, port, tmp_path, BUURTPLEIN_WORKERS="0")
            actor = peer.make_actor("alice")
            group = f"http://127.0.0.2:{port}/actors/buurt"
            follow = {
                "@context": AS,
                "id": peer.activity_id(),
                "type": "Follow",
                "actor": actor.ap_id,
                "object": group,
            }
            body = orjson.dumps(follow)
            inbox = f"http://127.0.0.2:{port}/inbox"
            async with (
                aiohttp.ClientSession() as session,
                session.post(inbox, data=body, headers=peer.signed_headers(actor, inbox, body)) as resp,
            ):
                assert resp.status == 202
            await stop(proc, signal.SIGKILL)
            assert (await inbox_store.count_by_state(pool)) == {"queued": 1}

            proc = await start_server(dsn, port, tmp_path)
            try:
                await wait_for(lambda: _accept_received(peer.received), timeout=30)
            finally:
                await stop(proc)
            assert (await inbox_store.count_by_state(pool)) == {"done": 1}
        finally:
            await pool.close()


def no_signer() -> RequestSigner:
    raise AssertionError("this test fetches nothing")


async def _at_least(received: dict[str, int], n: int) -> bool:
    return len(received) >= n


async def _accept_received(received: list[dict[str, Any]]) -> bool:
    return any(item.get("type") == "Accept" for item in received)


async def test_two_worker_processes_send_each_delivery_once(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    followers = 80
    async with queued_fan_out(
        database_server, template_database, followers=followers, delay=0.02, domain="127.0.0.2:9"
    ) as (dsn, received):
        env = {**os.environ, "DATABASE_URL": dsn, "BUURTPLEIN_DOMAIN": "127.0.0.2:9",
               "BUURTPLEIN_DATA_DIR": str(tmp_path), "BUURTPLEIN_LOG_LEVEL": "warning",
               "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31"}  # fmt: skip
        procs = [
            await asyncio.create_subprocess_exec(
                str(BIN), "worker", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
            for _ in range(2)
        ]
        try:
            await wait_for(lambda: _at_least(received, followers), timeout=60)
            await asyncio.sleep(0.5)  # anything sent twice would show up now
        finally:
            for proc in procs:
                await stop(proc)
        assert len(received) == followers
        assert all(count == 1 for count in received.values())
