"""Fixtures: a real PostgreSQL (DATABASE_URL, or the embedded one), a migrated template
database, and real running instances on loopback. No database mocks."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from server.runtime import migrate
from server.storage.embedded import start_embedded
from tests.harness import (
    PEER_ADDRESSES,
    REPO,
    Canary,
    Instance,
    create_database,
    drop_database,
    running_instance,
    unique_name,
)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_server() -> str:
    """DSN of a PostgreSQL server the tests may create databases on."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return await start_embedded(REPO / "buurtplein-data" / "test")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def template_database(database_server: str) -> AsyncIterator[str]:
    """A migrated database that every test database is copied from (fast)."""
    name = unique_name("bp_template")
    dsn = await create_database(database_server, name)
    await migrate(dsn)
    yield name
    await drop_database(database_server, name)


@pytest.fixture
async def fresh_database(database_server: str) -> AsyncIterator[str]:
    """An empty (unmigrated) database, dropped afterwards."""
    name = unique_name("bp_empty")
    dsn = await create_database(database_server, name)
    yield dsn
    await drop_database(database_server, name)


InstanceFactory = Callable[..., Any]


@pytest.fixture
async def instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """One real Buurtplein instance on 127.0.0.2 with its own database."""
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path) as inst:
        yield inst


@pytest.fixture
async def three_instances(
    database_server: str, template_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance, Instance]]:
    """Three independent instances (127.0.0.2, .3, .4), each with its own database."""
    a_dir, b_dir, c_dir = (tmp_path / n for n in "abc")
    async with (
        running_instance(database_server, template_database, PEER_ADDRESSES[0], a_dir) as a,
        running_instance(database_server, template_database, PEER_ADDRESSES[1], b_dir) as b,
        running_instance(database_server, template_database, PEER_ADDRESSES[2], c_dir) as c,
    ):
        yield a, b, c


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    """Counts connections to 127.0.0.1/::1: SSRF tests assert it stays at zero."""
    found = Canary()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        found.connections += 1
        writer.close()

    v4 = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    found.port = v4.sockets[0].getsockname()[1]
    found.servers.append(v4)
    try:
        found.servers.append(await asyncio.start_server(on_connect, "::1", found.port))
    except OSError:
        pass  # no IPv6 loopback here
    yield found
    for server in found.servers:
        server.close()
        await server.wait_closed()
