"""Real instances for tests: each with its own database, loopback address, port and host name."""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from server.app import make_app
from server.appkeys import POOL
from server.config import Settings, parse_networks
from server.storage.pool import Pool, connect, with_database

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PEER_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
# Test instances may reach each other, never 127.0.0.1, where SSRF canaries listen.
PEER_NETWORKS = parse_networks(["127.0.0.2/31", "127.0.0.4/31"])
_counter = itertools.count()


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


async def create_database(server_dsn: str, name: str, template: str | None = None) -> str:
    conn = await connect(with_database(server_dsn, "postgres"))
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await conn.close()
    return with_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    conn = await connect(with_database(server_dsn, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Instance:
    settings: Settings
    app: web.Application
    dsn: str
    session: aiohttp.ClientSession
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def pool(self) -> Pool:
        return self.app[POOL]

    def url(self, path: str) -> str:
        return self.base_url + path


def instance_settings(address: str, port: int, tmp: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "domain": f"{address}:{port}",
        "scheme": "http",
        "listen_host": address,
        "listen_port": port,
        "data_dir": tmp,
        "secret_key": "test-secret-" + address,
        "allowed_private_networks": PEER_NETWORKS,
        "workers": 1,
        "log_level": "warning",
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_instance(
    server_dsn: str, template: str, address: str, tmp: Path, **overrides: Any
) -> AsyncIterator[Instance]:
    name = unique_name("bp_test")
    dsn = await create_database(server_dsn, name, template)
    port = free_port(address)
    settings = instance_settings(address, port, tmp, database_url=dsn, **overrides)
    app = make_app(settings, dsn)
    runner = web.AppRunner(app, shutdown_timeout=5, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    session = aiohttp.ClientSession()
    try:
        yield Instance(settings=settings, app=app, dsn=dsn, session=session)
    finally:
        await session.close()
        await runner.cleanup()
        await drop_database(server_dsn, name)


def federating(inst: Instance) -> Any:
    """The domain's federation context of a running instance."""
    from server.appkeys import KEYRING, REMOTE
    from server.domain.federation_context import Federating

    return Federating(inst.pool, inst.settings, inst.app[KEYRING], inst.app[REMOTE])


async def wait_for(check: Any, *, timeout: float = 15.0, interval: float = 0.1) -> Any:  # noqa: ASYNC109
    """Poll the async `check` until it returns something truthy (bounded)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


@dataclass
class Canary:
    """A TCP listener on 127.0.0.1 (and ::1) that no outbound request may ever reach."""

    port: int = 0
    connections: int = 0
    servers: list[Any] = field(default_factory=list)
