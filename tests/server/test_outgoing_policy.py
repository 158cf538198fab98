"""A domain policy change made in one process reaches the others at once: the triggers of
migration 0024 NOTIFY, and every process's outgoing policy (server/outgoing_policy.py)
listens on a connection of its own and forgets its copy. Two web apps on one database, as
two `buurtplein serve` processes (or a `buurtplein worker`) are: a suspension, its lifting,
an allowlist entry and a change made by hand in SQL, each made through the first, are
enforced by the second within a few seconds, far below the 15-second periodic refresh. A
lost listening connection is made again, and a database that cannot be reached is retried
without the listener ever raising."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from server.app import make_app
from server.appkeys import KEYRING, POOL, REMOTE
from server.domain import moderation
from server.domain.federation_context import Federating
from server.outgoing_policy import REFRESH_SECONDS, OutgoingPolicy
from server.storage.pool import Pool
from tests.harness import PEER_ADDRESSES, Instance, federating, free_port, running_instance, wait_for
from tests.scripted_peer import ScriptedPeer, scripted_peer
from tests.server.domain.test_outgoing_domain_policy import admin_of

WITHIN = 3.0  # seconds: what "at once" may take here (the periodic refresh is 15 s)
LISTENING = """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND query = 'LISTEN "buurtplein_domain_policy"'"""


@asynccontextmanager
async def second_process(first: Instance, tmp: Path, **overrides: Any) -> AsyncIterator[Federating]:
    """Another web app on the same database and domain, as a second `buurtplein serve`."""
    address = PEER_ADDRESSES[0]
    port = free_port(address)
    settings = replace(first.settings, listen_port=port, data_dir=tmp, workers=0, **overrides)
    app = make_app(settings, first.dsn)
    runner = web.AppRunner(app, shutdown_timeout=5, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    try:
        yield Federating(app[POOL], settings, app[KEYRING], app[REMOTE])
    finally:
        await runner.cleanup()


async def fetches(fed: Federating, peer: ScriptedPeer, url: str) -> bool:
    """Whether this process fetches `url` (and the peer saw the request)."""
    before = len(peer.requests)
    found = await fed.remote.fetch_document(url) is not None
    assert found == (len(peer.requests) > before)
    return found


async def enforced_within(check: Any) -> float:
    started = time.monotonic()
    await wait_for(check, timeout=WITHIN, interval=0.05)
    return time.monotonic() - started


async def listeners(pool: Pool) -> set[int]:
    return {int(r["pid"]) for r in await pool.fetch(LISTENING)}


async def test_a_suspension_made_in_one_process_is_enforced_by_another_at_once(
    instance: Instance, tmp_path: Path
) -> None:
    assert REFRESH_SECONDS >= 15
    fed = federating(instance)
    admin = await admin_of(instance)
    async with second_process(instance, tmp_path / "second") as other, scripted_peer() as peer:
        note = peer.serve("/notes/1", {"id": f"{peer.base}/notes/1", "type": "Note", "content": "x"})
        assert await fetches(other, peer, note)  # the second process has read the policy

        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend", "spam")
        assert await enforced_within(lambda: _refused(other, peer, note)) < WITHIN
        seen = len(peer.requests)
        assert await other.remote.fetch_document(note) is None
        assert len(peer.requests) == seen

        await moderation.block_domain(fed, admin, "127.0.0.3", "limit")  # lifted: limit lets fetches go
        await enforced_within(lambda: fetches(other, peer, note))

        # a change made by hand in SQL is heard too (the triggers NOTIFY)
        await instance.pool.execute("UPDATE domain_blocks SET severity = 'suspend' WHERE domain = '127.0.0.3'")
        await enforced_within(lambda: _refused(other, peer, note))
        await instance.pool.execute("DELETE FROM domain_blocks")
        await enforced_within(lambda: fetches(other, peer, note))


async def _refused(fed: Federating, peer: ScriptedPeer, url: str) -> bool:
    return not await fetches(fed, peer, url)


async def test_allowlist_edits_reach_another_process_at_once(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with (
        running_instance(
            database_server, template_database, PEER_ADDRESSES[0], tmp_path, federation_allowlist_only=True
        ) as first,
        second_process(first, tmp_path / "second") as other,
        scripted_peer() as peer,
    ):
        assert other.settings.federation_allowlist_only
        fed = federating(first)
        admin = await admin_of(first)
        note = peer.serve("/notes/1", {"id": f"{peer.base}/notes/1", "type": "Note", "content": "x"})
        assert not await fetches(other, peer, note)

        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", True)
        await enforced_within(lambda: fetches(other, peer, note))

        await moderation.set_domain_allowed(fed, admin, "127.0.0.3", False)
        await enforced_within(lambda: _refused(other, peer, note))


async def test_a_lost_listening_connection_is_made_again(instance: Instance, tmp_path: Path) -> None:
    fed = federating(instance)
    admin = await admin_of(instance)
    async with second_process(instance, tmp_path / "second") as other, scripted_peer() as peer:
        note = peer.serve("/notes/1", {"id": f"{peer.base}/notes/1", "type": "Note", "content": "x"})
        before = await wait_for(lambda: _two_listeners(instance.pool))
        await instance.pool.execute(f"SELECT pg_terminate_backend(pid) FROM ({LISTENING}) l")
        # both processes listen again, on new connections, after the first wait (1 s)
        await wait_for(lambda: _two_listeners(instance.pool, other_than=before), timeout=10)
        assert await fetches(other, peer, note)

        await moderation.block_domain(fed, admin, "127.0.0.3", "suspend")
        assert await enforced_within(lambda: _refused(other, peer, note)) < WITHIN


async def _two_listeners(pool: Pool, other_than: frozenset[int] | set[int] = frozenset()) -> set[int] | None:
    found = await listeners(pool) - other_than
    return found if len(found) == 2 else None


async def test_an_unreachable_database_is_retried_and_never_raises(
    instance: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    policy = OutgoingPolicy(instance.pool, allowlist_only=False, own_host=instance.settings.domain)
    stop = asyncio.Event()
    unreachable = "postgresql://postgres@127.0.0.1:1/postgres"
    with caplog.at_level(logging.WARNING, logger="server.outgoing_policy"):
        task = asyncio.create_task(policy.follow_changes(unreachable, stop, first_retry=0.05))
        await asyncio.sleep(0.6)
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, timeout=2)
    tries = [r for r in caplog.records if r.getMessage() == "domain policy cannot listen for changes; trying again"]
    assert len(tries) >= 3
    waits = [r.__dict__["retry_seconds"] for r in tries]
    assert waits[:3] == [0.05, 0.1, 0.2]  # growing, and bounded by LISTEN_RETRY_MAX_SECONDS
