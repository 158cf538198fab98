"""Rate limits are kept per web process (docs/configuration.md, "Rate limits with several
web processes"): two processes on one database each allow a client the full burst, so an
operator running N processes behind a balancer that spreads a client's requests sizes each
limit at the wanted total divided by N. This pins the documented behaviour: if the
counters ever become shared, this test and that section change together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

from server.app import make_app
from tests.harness import PEER_ADDRESSES, Instance, free_port, instance_settings, running_instance

AUTH = {"auth_rate_per_ip": 1, "auth_burst_per_ip": 2}


@asynccontextmanager
async def second_process(first: Instance, tmp: Path) -> AsyncIterator[str]:
    """Another web app on the same database, as a second `buurtplein serve` would be."""
    address = PEER_ADDRESSES[0]
    port = free_port(address)
    settings = instance_settings(address, port, tmp, database_url=first.dsn, **AUTH)
    runner = web.AppRunner(make_app(settings, first.dsn), shutdown_timeout=5, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    try:
        yield f"http://{address}:{port}"
    finally:
        await runner.cleanup()


async def login_statuses(session: aiohttp.ClientSession, base: str, n: int) -> list[int]:
    found = []
    for _ in range(n):
        async with session.post(base + "/login", data={"user": "a", "password": "b"}) as resp:
            await resp.read()
            found.append(resp.status)
    return found


async def test_each_web_process_keeps_its_own_buckets(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, **AUTH) as first:
        async with second_process(first, tmp_path / "second") as other:
            one = await login_statuses(first.session, first.base_url, 3)
            two = await login_statuses(first.session, other, 3)
    assert one[:2].count(429) == 0 and one[2] == 429
    assert two[:2].count(429) == 0 and two[2] == 429  # the second process had its own full bucket
