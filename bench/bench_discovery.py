"""Discovery throughput: actor documents and WebFinger against a bare aiohttp JSON handler.

Run: .venv/bin/python bench/bench_discovery.py [--requests 3000] [--concurrency 50] [--rounds 3] [--processes 1]
[--count-statements]
(uses DATABASE_URL when set, else the embedded PostgreSQL under buurtplein-data/bench).

Starts, each in its own process on 127.0.0.1: a Buurtplein instance (workers off) on a
fresh, migrated database, and a baseline aiohttp app that answers a prebuilt actor
document with orjson and no database (--processes N: N of each, sharing their port).
The load generator (this process) fires N GETs, at most C at a time, and prints
requests/s and the ratio to the baseline. Each case and the baseline run alternately
(--rounds times) and the best of each is compared, so a drift in the machine's speed
affects both alike. The load generator is one Python process on the same cores: with
two server processes it is the bottleneck of the baseline too. Below the ratios: the CPU
each kind of process spent per request (server, PostgreSQL, load generator) in the timed
parts, and with --count-statements the database statements per request.
Target: >= 50 % of the baseline for both the actor document and WebFinger.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import orjson
from aiohttp import web
from benchlib import postgres_cpu, process_cpu

from server.app import make_app
from server.config import Settings
from server.domain.actors import create_local_actor
from server.runtime import migrate
from server.storage.embedded import start_embedded
from server.storage.pool import connect, create_pool, with_database

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
AS2 = "application/activity+json"
DISTINCT_ACTORS = 500  # the second pair of cases asks for these in turn
WARM_UP = 300  # requests before each timed burst
# PostgreSQL publishes an idle backend's counts within ten seconds (a busy one's each second)
STATS_SETTLE = 11.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def settings_for(port: int, dsn: str) -> Settings:
    return Settings(
        domain=f"{HOST}:{port}",
        listen_host=HOST,
        listen_port=port,
        database_url=dsn,
        secret_key="bench",
        workers=0,
        log_level="warning",
        data_dir=REPO / "buurtplein-data" / "bench",
    )


async def _serve(app: web.Application, port: int) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    # SO_REUSEPORT: with --processes N, N processes share the port and the kernel spreads
    # the connections over them
    await web.TCPSite(runner, HOST, port, backlog=1024, reuse_port=True).start()
    await asyncio.Event().wait()


def run_instance(port: int, dsn: str) -> None:
    asyncio.run(_serve(make_app(settings_for(port, dsn), dsn), port))


def run_baseline(port: int, document: dict[str, Any]) -> None:
    body = orjson.dumps(document)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=AS2, charset="utf-8")

    app = web.Application()
    app.router.add_get("/actors/{name}", handler)
    asyncio.run(_serve(app, port))


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):  # up to a minute: a busy machine starts processes slowly
            try:
                async with session.get(url) as resp:
                    if resp.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


class Cpu:
    """CPU seconds used during the timed part of a load, per kind of process."""

    def __init__(self, server_pids: list[int]) -> None:
        self.server_pids = server_pids
        self.totals = {"server": 0.0, "postgres": 0.0, "load": 0.0}
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {
            "server": sum(process_cpu(pid) for pid in self.server_pids),
            "postgres": postgres_cpu(),
            "load": time.process_time(),
        }

    def start(self) -> None:
        self._start = self._now()

    def stop(self) -> None:
        for kind, value in self._now().items():
            self.totals[kind] += value - self._start[kind]


async def load(url: str | list[str], accept: str, requests: int, concurrency: int, cpu: Cpu | None = None) -> float:
    """Requests per second for `requests` GETs of `url` (or of the URLs in turn),
    `concurrency` in flight; `cpu` adds up the CPU each kind of process used meanwhile."""
    urls = itertools.cycle([url] if isinstance(url, str) else url)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        remaining = requests
        failures = 0

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0:
                remaining -= 1
                async with session.get(next(urls), headers={"Accept": accept}) as resp:
                    await resp.read()
                    failures += resp.status != 200

        async def burst(count: int) -> None:
            nonlocal remaining
            remaining = count
            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await burst(min(WARM_UP, requests))  # warm-up: connections, caches, pool
        failures = 0
        if cpu is not None:
            cpu.start()
        started = time.perf_counter()
        await burst(requests)
        elapsed = time.perf_counter() - started
        if cpu is not None:
            cpu.stop()
    if failures:
        raise RuntimeError(f"{failures} requests to {url} failed")
    return requests / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="baseline/case alternations per case")
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes, and as many baseline ones (one per core: 2)"
    )
    parser.add_argument(
        "--count-statements",
        action="store_true",
        help="also print database statements per request (waits for PostgreSQL's counts around each case)",
    )
    args = parser.parse_args()

    server_dsn = os.environ.get("DATABASE_URL") or await start_embedded(REPO / "buurtplein-data" / "bench")
    name = f"bp_bench_{os.getpid()}"
    admin = await connect(with_database(server_dsn, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = with_database(server_dsn, name)
    spawn = multiprocessing.get_context("spawn")
    children: list[Any] = []
    try:
        await migrate(dsn)
        port, base_port = free_port(), free_port()
        settings = settings_for(port, dsn)
        pool = await create_pool(dsn)
        await create_local_actor(pool, settings, kind="Group", username="oosterpark", name="Oosterpark")
        for index in range(DISTINCT_ACTORS):
            await create_local_actor(pool, settings, kind="Person", username=f"bewoner{index}", name=f"Bewoner {index}")
        await pool.close()

        actor_url = f"http://{HOST}:{port}/actors/oosterpark"
        for _ in range(args.processes):  # one after the other: the first makes the instance actor
            children.append(spawn.Process(target=run_instance, args=(port, dsn), daemon=True))
            children[-1].start()
            await wait_ready(actor_url)
        async with (
            aiohttp.ClientSession() as session,
            session.get(actor_url, headers={"Accept": AS2}) as resp,
        ):
            document = await resp.json(content_type=None)
        baseline_url = f"http://{HOST}:{base_port}/actors/oosterpark"
        for _ in range(args.processes):
            children.append(spawn.Process(target=run_baseline, args=(base_port, document), daemon=True))
            children[-1].start()
            await wait_ready(baseline_url)

        webfinger_url = f"http://{HOST}:{port}/.well-known/webfinger?resource=acct:oosterpark@{HOST}:{port}"
        n, c = args.requests, args.concurrency
        print(
            f"{n} GETs each, {c} concurrent, {args.processes} server and {args.processes} baseline process(es); "
            f"each case alternates with the baseline {args.rounds} times, best of each (the machine's speed drifts)"
        )
        base = f"http://{HOST}:{port}"
        many_actors = [f"{base}/actors/bewoner{i}" for i in range(DISTINCT_ACTORS)]
        many_webfinger = [
            f"{base}/.well-known/webfinger?resource=acct:bewoner{i}@{HOST}:{port}" for i in range(DISTINCT_ACTORS)
        ]
        cases: list[tuple[str, str | list[str], str]] = [
            ("actor document (AS2), one actor", actor_url, AS2),
            ("WebFinger acct:, one actor", webfinger_url, "application/jrd+json"),
            (f"actor document (AS2), {DISTINCT_ACTORS} actors in turn", many_actors, AS2),
            (f"WebFinger acct:, {DISTINCT_ACTORS} actors in turn", many_webfinger, "application/jrd+json"),
        ]

        async def transactions() -> int:
            """Transactions committed in the benchmark's database (each lookup statement is one;
            the baseline adds none)."""
            count: int = await admin.fetchval("SELECT xact_commit FROM pg_stat_database WHERE datname = $1", name)
            return count

        server_pids = [child.pid for child in children[: args.processes]]
        baseline_pids = [child.pid for child in children[args.processes :]]
        cpu_lines = []
        for label, url, accept in cases:
            baseline = rate = 0.0
            case_cpu, base_cpu = Cpu(server_pids), Cpu(baseline_pids)
            if args.count_statements:
                await asyncio.sleep(STATS_SETTLE)
                committed = await transactions()
            for _ in range(args.rounds):
                baseline = max(baseline, await load(baseline_url, AS2, n, c, base_cpu))
                rate = max(rate, await load(url, accept, n, c, case_cpu))
            print(f"{label:<52}{rate:8.0f} req/s  {rate / baseline:6.1%} of baseline ({baseline:.0f} req/s)")
            total = n * args.rounds
            statements = ""
            if args.count_statements:
                await asyncio.sleep(STATS_SETTLE)
                all_requests = args.rounds * (n + min(WARM_UP, n))
                statements = f"{(await transactions() - committed) / all_requests:12.3f}"
            cpu_lines.append(
                f"  {label:<50}"
                + "".join(f"{case_cpu.totals[k] / total * 1e6:8.0f}" for k in ("server", "postgres", "load"))
                + statements
                + f"   (baseline {base_cpu.totals['server'] / total * 1e6:.0f} / "
                + f"{base_cpu.totals['postgres'] / total * 1e6:.0f} / {base_cpu.totals['load'] / total * 1e6:.0f})"
            )
        columns = "CPU µs per request (timed parts of all rounds):          server  PostgreSQL  load gen."
        print(columns + ("  statements/request" if args.count_statements else ""))
        print("\n".join(cpu_lines))
    finally:
        for child in children:
            child.terminate()
            child.join(5)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
