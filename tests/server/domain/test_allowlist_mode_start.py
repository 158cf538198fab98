"""Turning allowlist-only mode on (a restart with `federation_allowlist_only`) ends what we
have with every host the allowlist does not allow, as removing its entry does: queued
deliveries end (failed, "domain not on the allowlist"), follows both ways, memberships (a
ban stays) and area follows end, and nothing is sent; hosts allowed by an entry (the
host's own or a parent's) keep everything. It is done once, by one process, when a start
first sees the mode on (the state is kept in `federation_mode`, migration 0024): two
processes starting together end things once, a later restart with the mode still on ends
nothing, and turning the mode off and on again does it again.

Real app instances on one real database, stopped and started as a restart would; the
"processes" that start together are two apps on the same database and domain, and in the
last test two real `buurtplein worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from federation.hoststate import host_of
from server.app import make_app
from server.appkeys import KEYRING, POOL, REMOTE
from server.domain import moderation
from server.domain.actors import create_local_actor
from server.domain.federation_context import Federating
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import create_note
from server.storage import area_follows as area_follow_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import memberships as membership_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from tests.harness import (
    PEER_ADDRESSES,
    create_database,
    drop_database,
    free_port,
    instance_settings,
    unique_name,
    wait_for,
)
from tests.scripted_peer import scripted_peer
from tests.server.domain.test_allowlist_removal import named_actor, pause, queued_to
from tests.server.domain.test_outgoing_domain_policy import admin_of, follows, remote_row

ADDRESS = PEER_ADDRESSES[0]
BIN = Path(sys.executable).parent / "buurtplein"


class Site:
    """One database and domain; processes on it are started and stopped like restarts."""

    def __init__(self, dsn: str, tmp: Path) -> None:
        self.dsn = dsn
        self.tmp = tmp
        self.port = free_port(ADDRESS)

    @asynccontextmanager
    async def process(self, *, allowlist_only: bool, port: int | None = None) -> AsyncIterator[Federating]:
        """A web app on this database and domain (on another port when `port` is given,
        as a second process beside the first)."""
        settings = instance_settings(
            ADDRESS,
            self.port,
            self.tmp / str(port or self.port),
            database_url=self.dsn,
            federation_allowlist_only=allowlist_only,
            workers=0,
            **({"listen_port": port} if port else {}),
        )
        app = make_app(settings, self.dsn)
        runner = web.AppRunner(app, shutdown_timeout=5, access_log=None)
        await runner.setup()  # the start: cleanup contexts run here, allowlist mode too
        await web.TCPSite(runner, ADDRESS, port or self.port).start()
        try:
            yield Federating(app[POOL], settings, app[KEYRING], app[REMOTE])
        finally:
            await runner.cleanup()


@asynccontextmanager
async def site(database_server: str, template_database: str, tmp: Path) -> AsyncIterator[Site]:
    name = unique_name("bp_test")
    dsn = await create_database(database_server, name, template_database)
    try:
        yield Site(dsn, tmp)
    finally:
        await drop_database(database_server, name)


class Inst:
    """What the shared test helpers want of an instance: a pool and settings."""

    def __init__(self, fed: Federating) -> None:
        self.pool: Pool = fed.pool
        self.settings = fed.settings


async def mode_log(pool: Pool) -> list[str]:
    return [e.reason for e in await instance_policy.moderation_log(pool) if e.action == "allowlist_only_on"]


async def state(pool: Pool, follower: ActorRow, followed: ActorRow) -> str | None:
    return await follow_store.follow_state(pool, follower.id, followed.id)


async def test_turning_the_mode_on_ends_relations_with_domains_not_allowed(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with site(database_server, template_database, tmp_path) as where, scripted_peer() as peer:
        async with scripted_peer("127.0.0.4") as friend:
            # --- before: allowlist-only mode off, relations with allowed and other hosts
            async with where.process(allowlist_only=False) as fed:
                inst: Any = Inst(fed)
                admin = await admin_of(inst)
                anna = await create_local_actor(fed.pool, fed.settings, kind="Person", username="anna")
                group = await create_neighbourhood(fed, "oost", founder=anna)
                for entry in ["127.0.0.4", "keep.example"]:
                    await moderation.set_domain_allowed(fed, admin, entry, True)
                alice = await remote_row(inst, peer.make_actor("alice"))  # 127.0.0.3: not allowed
                carol = await remote_row(inst, peer.make_actor("carol"))
                shop = await remote_row(inst, peer.make_actor("winkel", kind="Organization"))
                bob = await remote_row(inst, friend.make_actor("bob"))  # 127.0.0.4: allowed
                kept = await named_actor(inst, peer, "a.keep.example", "kees")  # allowed by its parent
                gone = await named_actor(inst, peer, "other.example", "otto")  # not allowed
                for host in [host_of(peer.base), host_of(friend.base), "a.keep.example", "other.example"]:
                    await pause(fed.pool, host)
                for remote in [alice, bob, kept, gone]:
                    await follows(inst, remote, anna)
                    await follows(inst, anna, remote)
                await follows(inst, alice, group)
                for member in [alice, bob, kept]:
                    await membership_store.upsert_membership(
                        fed.pool, group.id, member.id, state="accepted", via="Join"
                    )
                await membership_store.ban(fed.pool, group.id, carol.id)
                await area_follow_store.save_area_follow(
                    fed.pool, shop.id, area_name="Oost", bbox=None, near=None, pre=None
                )
                await create_note(fed, anna, "<p>voor alle volgers</p>")
                assert await queued_to(fed.pool, host_of(peer.base)) == [("queued", None)]
                assert await queued_to(fed.pool, "other.example") == [("queued", None)]
            requests_before = len(peer.requests), len(friend.requests)

            # --- restart with the mode on: two processes start together
            async with AsyncExitStack() as stack:
                first, _second = await asyncio.gather(
                    stack.enter_async_context(where.process(allowlist_only=True)),
                    stack.enter_async_context(where.process(allowlist_only=True, port=free_port(ADDRESS))),
                )
                pool = first.pool
                not_allowed = ("failed", "domain not on the allowlist")
                assert await queued_to(pool, host_of(peer.base)) == [not_allowed]
                assert await queued_to(pool, "other.example") == [not_allowed]
                assert await queued_to(pool, host_of(friend.base)) == [("queued", None)]
                assert await queued_to(pool, "a.keep.example") == [("queued", None)]
                for remote in [alice, gone]:
                    assert await state(pool, remote, anna) is None
                    assert await state(pool, anna, remote) is None
                assert await state(pool, alice, group) is None
                for remote in [bob, kept]:
                    assert await state(pool, remote, anna) == "accepted"
                    assert await state(pool, anna, remote) == "accepted"
                assert await membership_store.membership(pool, group.id, alice.id) is None
                assert await membership_store.membership(pool, group.id, bob.id) is not None
                assert await membership_store.membership(pool, group.id, kept.id) is not None
                banned = await membership_store.membership(pool, group.id, carol.id)
                assert banned is not None and banned.state == "banned"  # a ban stays
                assert await pool.fetchval("SELECT count(*) FROM area_follows WHERE organisation_id = $1", shop.id) == 0
                # done once, by one of the two processes, and logged with its counts
                assert await mode_log(pool) == ["ended: 2 queued deliveries, 5 follows, 1 memberships, 1 area follows"]
                await asyncio.sleep(0.3)
                assert (len(peer.requests), len(friend.requests)) == requests_before  # nothing sent

            # --- a restart with the mode still on ends nothing more
            async with where.process(allowlist_only=True) as fed:
                assert len(await mode_log(fed.pool)) == 1
                assert await state(fed.pool, bob, anna) == "accepted"

            # --- off, a new follow with a host not allowed, then on again: ended again
            async with where.process(allowlist_only=False) as fed:
                again: Any = Inst(fed)
                await follows(again, alice, anna)
            async with where.process(allowlist_only=True) as fed:
                assert await state(fed.pool, alice, anna) is None
                assert await state(fed.pool, bob, anna) == "accepted"
                assert await mode_log(fed.pool) == [
                    "ended: 0 queued deliveries, 1 follows, 0 memberships, 0 area follows",
                    "ended: 2 queued deliveries, 5 follows, 1 memberships, 1 area follows",
                ]


async def test_two_worker_processes_starting_with_the_mode_on_end_relations_once(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with site(database_server, template_database, tmp_path) as where, scripted_peer() as peer:
        async with scripted_peer("127.0.0.4") as friend, where.process(allowlist_only=False) as fed:
            inst: Any = Inst(fed)
            admin = await admin_of(inst)
            anna = await create_local_actor(fed.pool, fed.settings, kind="Person", username="anna")
            await moderation.set_domain_allowed(fed, admin, "127.0.0.4", True)
            alice = await remote_row(inst, peer.make_actor("alice"))
            bob = await remote_row(inst, friend.make_actor("bob"))
            await follows(inst, alice, anna)
            await follows(inst, bob, anna)
            pool = fed.pool
            env = {**os.environ, "DATABASE_URL": where.dsn, "BUURTPLEIN_DOMAIN": fed.settings.domain,
                   "BUURTPLEIN_DATA_DIR": str(tmp_path / "workers"), "BUURTPLEIN_LOG_LEVEL": "warning",
                   "BUURTPLEIN_FEDERATION_ALLOWLIST_ONLY": "true"}  # fmt: skip
            procs = await asyncio.gather(
                *(
                    asyncio.create_subprocess_exec(
                        str(BIN),
                        "worker",
                        env=env,
                        stdout=asyncio.subprocess.DEVNULL,
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                    for _ in range(2)
                )
            )
            try:
                # both started (each listens for policy changes) and one ended the relations
                await wait_for(lambda: _listening_workers(pool, 2), timeout=30)
                assert await mode_log(pool) == ["ended: 0 queued deliveries, 1 follows, 0 memberships, 0 area follows"]
                assert await state(pool, alice, anna) is None
                assert await state(pool, bob, anna) == "accepted"
            finally:
                for proc in procs:
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGTERM)
                codes = [await asyncio.wait_for(proc.wait(), 20) for proc in procs]
            assert codes == [0, 0]


async def _listening_workers(pool: Pool, n: int) -> bool:
    """Whether `n` processes besides this one listen for domain policy changes."""
    rows = await pool.fetch(
        """SELECT count(*) FROM pg_stat_activity
           WHERE datname = current_database() AND query = 'LISTEN "buurtplein_domain_policy"'"""
    )
    return int(rows[0][0]) >= n + 1  # this test's own app listens too
