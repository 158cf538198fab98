"""Inbox ingest: signed Create{Note} activities per second until committed (202), compared
with a bare aiohttp handler that reads the body and answers 202, measured in the same run.

Run: .venv/bin/python bench/bench_inbox.py [--quick] [--requests N] [--concurrency C]
     [--actors K] [--processes 1,2]

What it does (nothing is fetched in the measured path, workers are off):
  1. creates a scratch database on DATABASE_URL (default the local PostgreSQL) and
     migrates it; inserts K remote actors with their RSA-2048 public keys (as
     RemoteActors.store does), so every key is in the `actor_keys` cache;
  2. signs N Create{Note} requests with draft-cavage (as Mastodon does) BEFORE timing;
  3. for each process count P: starts P bare aiohttp servers (SO_REUSEPORT) and then P
     Buurtplein servers (P = 1: `buurtplein serve`; P = 2: the same app behind
     SO_REUSEPORT, which `buurtplein serve` does not offer) with BUURTPLEIN_WORKERS=0,
     each on 127.0.0.2, and fires the same signed bodies at both from a load generator
     in its own process (aiohttp client, C concurrent requests, a short untimed
     warm-up first);
  4. checks that the rows in `inbox_items` equal the 202 answers; prints req/s, the
     ratio inbox / bare (target >= 25 %), p50/p99 latency and CPU per request of
     the server process(es) and of PostgreSQL; drops the database (also on failure).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    PYTHON,
    REPO,
    Child,
    fresh_database,
    percentile,
    postgres_cpu,
    remove_database,
    wait_http,
)

ADDRESS = "127.0.0.2"
REMOTE_BASE = "http://127.0.0.3:9"  # never contacted: keys are cached (port 9 refuses)
NETWORKS = "127.0.0.2/31 127.0.0.4/31"  # tests.harness.PEER_NETWORKS
AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
LOAD_TIMEOUT = 600.0


# --- key generation and signing (in worker processes) ------------------------------------


def _generate_key(_: int) -> tuple[str, str]:
    from activitypub import keys

    key = keys.generate_rsa_key()
    return keys.private_key_to_pem(key), keys.public_key_to_pem(key.public_key())


def _sign_chunk(
    args: tuple[str, list[tuple[int, str]], list[str]],
) -> list[tuple[dict[str, str], bytes]]:
    """Sign (actor index, note text) pairs for POST `inbox_url`; keys given as PEMs."""
    import orjson

    from activitypub import keys
    from activitypub.request_signing import sign_request

    inbox_url, items, pems = args
    loaded: dict[int, Any] = {}
    now = datetime.now(UTC)
    out = []
    for index, text in items:
        key = loaded.get(index)
        if key is None:
            key = loaded[index] = keys.load_private_key(pems[index])
        actor = f"{REMOTE_BASE}/users/u{index}"
        note_id = f"{actor}/notes/{uuid.uuid4().hex}"
        published = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        body = orjson.dumps(
            {
                "@context": AS,
                "id": note_id + "/activity",
                "type": "Create",
                "actor": actor,
                "published": published,
                "to": [PUBLIC],
                "cc": [actor + "/followers"],
                "object": {
                    "id": note_id,
                    "type": "Note",
                    "attributedTo": actor,
                    "content": text,
                    "published": published,
                    "to": [PUBLIC],
                    "cc": [actor + "/followers"],
                    "url": note_id,
                },
            }
        )
        headers = sign_request(
            "POST",
            inbox_url,
            {"Content-Type": "application/activity+json"},
            body,
            key_id=actor + "#main-key",
            private_key=key,
            now=now,
            scheme="cavage",
        )
        out.append((headers, body))
    return out


# --- roles run in child processes ---------------------------------------------------------


def role_bare(host: str, port: int) -> None:
    """The baseline: read the body, answer 202 (SO_REUSEPORT so that several can share)."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def main() -> None:
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_post("/inbox", handle)
        app.router.add_get("/healthz", lambda r: _ok())
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port, reuse_port=True).start()
        await _until_sigterm()
        await runner.cleanup()

    asyncio.run(main())


async def _ok() -> Any:
    from aiohttp import web

    return web.Response(text="ok")


async def _until_sigterm() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def role_serve_reuse_port() -> None:
    """`buurtplein serve` (settings from the environment, no migration: done already),
    but listening with SO_REUSEPORT so that several processes share one port."""
    from aiohttp import web

    from server.app import make_app
    from server.config import ensure_secret_key, load_settings
    from server.logs import configure_logging

    settings = ensure_secret_key(load_settings())
    configure_logging(settings.log_level, settings.log_format)

    async def main() -> None:
        app = make_app(settings, settings.database_url)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=10)
        await runner.setup()
        await web.TCPSite(runner, settings.listen_host, settings.listen_port, reuse_port=True).start()
        await _until_sigterm()
        await runner.cleanup()

    asyncio.run(main())


def role_load(url: str, path: str, concurrency: int, warmup: int) -> None:
    """Fire the pre-signed requests in `path` at `url`; print one JSON line of results."""
    import aiohttp

    with open(path, "rb") as handle:
        requests: list[tuple[dict[str, str], bytes]] = pickle.load(handle)

    async def fire(
        session: aiohttp.ClientSession,
        batch: list[tuple[dict[str, str], bytes]],
        latencies: list[float],
        statuses: dict[int, int],
    ) -> float:
        position = 0

        async def one_worker() -> None:
            nonlocal position
            while position < len(batch):
                headers, body = batch[position]
                position += 1
                started = time.perf_counter()
                try:
                    async with session.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        status = resp.status
                except (aiohttp.ClientError, OSError):
                    status = 0
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(one_worker() for _ in range(concurrency))), LOAD_TIMEOUT)
        return time.perf_counter() - started

    async def main() -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=concurrency)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, skip_auto_headers=("Accept-Encoding",)
        ) as session:
            warm_statuses: dict[int, int] = {}
            await fire(session, requests[:warmup], [], warm_statuses)
            latencies: list[float] = []
            statuses: dict[int, int] = {}
            cpu0 = time.process_time()
            elapsed = await fire(session, requests[warmup:], latencies, statuses)
            cpu = time.process_time() - cpu0
        latencies.sort()
        return {
            "elapsed": elapsed,
            "warm_statuses": warm_statuses,
            "statuses": statuses,
            "p50": percentile(latencies, 0.50),
            "p99": percentile(latencies, 0.99),
            "client_cpu": cpu,
        }

    print(json.dumps(asyncio.run(main())), flush=True)


# --- the orchestrator ----------------------------------------------------------------------


def _free_port() -> int:
    from tests.harness import free_port

    return free_port(ADDRESS)


def run_load(url: str, path: str, concurrency: int, warmup: int) -> dict[str, Any]:
    proc = subprocess.run(
        [
            PYTHON,
            __file__,
            "--role",
            "load",
            "--url",
            url,
            "--file",
            path,
            "--concurrency",
            str(concurrency),
            "--warmup",
            str(warmup),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT + 60,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"load generator failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["statuses"] = {int(k): v for k, v in result["statuses"].items()}
    result["warm_statuses"] = {int(k): v for k, v in result["warm_statuses"].items()}
    return result


def measured(children: list[Child], url: str, path: str, concurrency: int, warmup: int, timed: int) -> dict[str, Any]:
    """Run the load and add CPU figures of the servers and of PostgreSQL (timed part only,
    approximated by subtracting the warm-up share, which is small)."""
    cpu0 = sum(c.cpu() for c in children)
    pg0 = postgres_cpu()
    result = run_load(url, path, concurrency, warmup)
    result["server_cpu"] = sum(c.cpu() for c in children) - cpu0
    result["pg_cpu"] = postgres_cpu() - pg0
    result["rate"] = timed / result["elapsed"]
    return result


def server_env(dsn: str, port: int, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": dsn,
            "BUURTPLEIN_DOMAIN": f"{ADDRESS}:{port}",
            "BUURTPLEIN_LISTEN_HOST": ADDRESS,
            "BUURTPLEIN_LISTEN_PORT": str(port),
            "BUURTPLEIN_WORKERS": "0",
            "BUURTPLEIN_RATE_LIMITS_ENABLED": "false",
            "BUURTPLEIN_LOG_LEVEL": "warning",
            "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": NETWORKS,
            "BUURTPLEIN_DATA_DIR": data_dir,
            "BUURTPLEIN_SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
        }
    )
    return env


async def insert_actors(dsn: str, pems: list[tuple[str, str]]) -> None:
    from server.storage import actors as actor_store
    from server.storage.pool import create_pool

    pool = await create_pool(dsn)
    try:
        async with pool.acquire() as conn, conn.transaction():
            for index, (_private, public) in enumerate(pems):
                actor = f"{REMOTE_BASE}/users/u{index}"
                row = await actor_store.upsert_remote_actor(
                    conn,
                    {
                        "ap_id": actor,
                        "kind": "Person",
                        "is_local": False,
                        "username": f"u{index}",
                        "domain": REMOTE_BASE.split("://", 1)[1],
                        "inbox_url": actor + "/inbox",
                        "shared_inbox_url": REMOTE_BASE + "/inbox",
                        "followers_url": actor + "/followers",
                        "document": {"id": actor, "type": "Person"},
                        "fetched_at": datetime.now(UTC),
                    },
                )
                await actor_store.replace_keys(conn, row.id, [(actor + "#main-key", "rsa", public)])
    finally:
        await pool.close()


async def inbox_rows(dsn: str, truncate: bool = False) -> int:
    from server.storage.pool import connect

    conn = await connect(dsn)
    try:
        count = int(await conn.fetchval("SELECT count(*) FROM inbox_items"))
        if truncate:
            await conn.execute("TRUNCATE inbox_items")
        return count
    finally:
        await conn.close()


def start_buurtplein(processes: int, dsn: str, port: int, data_dir: str, profile: str | None = None) -> list[Child]:
    env = server_env(dsn, port, data_dir)
    children: list[Child] = []
    command = [str(Path(PYTHON).parent / "buurtplein"), "serve"]
    if profile:  # cProfile writes its file when `serve` returns after SIGTERM
        command = [PYTHON, "-m", "cProfile", "-o", profile, *command]
    try:
        if processes == 1:
            children.append(Child(command, env=env))
            asyncio.run(wait_http(f"http://{ADDRESS}:{port}/healthz", child=children[0]))
        else:
            for _ in range(processes):  # one after the other: the first creates the instance actor
                children.append(Child([PYTHON, __file__, "--role", "serve-reuse-port"], env=env))
                asyncio.run(wait_http(f"http://{ADDRESS}:{port}/healthz", child=children[-1]))
                time.sleep(1.0)  # the port is shared: give the newest one time to be up
        return children
    except BaseException:
        for child in children:
            child.stop()
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1000 requests, 50 actors")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--actors", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--processes", default="1,2", help="server process counts to run, e.g. 1,2")
    parser.add_argument(
        "--profile-server",
        default=None,
        metavar="FILE",
        help="run the 1-process server under cProfile, write FILE (slows it)",
    )
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--file", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--host", default=ADDRESS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.role == "bare":
        role_bare(args.host, args.port)
        return 0
    if args.role == "serve-reuse-port":
        role_serve_reuse_port()
        return 0
    if args.role == "load":
        role_load(args.url, args.file, args.concurrency, args.warmup)
        return 0

    total = args.requests or (1000 if args.quick else 5000)
    actors = args.actors or (50 if args.quick else 200)
    warmup = max(50, total // 20)
    counts = [int(p) for p in args.processes.split(",") if p.strip()]
    name = f"bp_bench_inbox_{os.getpid()}"
    print(
        f"bench_inbox: {total} signed Create{{Note}} (draft-cavage RSA-2048) from {actors} actors, "
        f"concurrency {args.concurrency}, {warmup} warm-up requests first; "
        f"{os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    dsn = asyncio.run(fresh_database(name))
    try:
        with tempfile.TemporaryDirectory(prefix="bench_inbox_") as tmp:
            return run(
                dsn,
                tmp,
                total + warmup,
                warmup,
                actors,
                args.concurrency,
                counts,
                args.profile_server,
            )
    finally:
        asyncio.run(remove_database(name))
        print(f"dropped database {name}", flush=True)


def run(
    dsn: str,
    tmp: str,
    total: int,
    warmup: int,
    actors: int,
    concurrency: int,
    counts: list[int],
    profile: str | None = None,
) -> int:
    timed = total - warmup
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        pems = list(pool.map(_generate_key, range(actors)))
        print(
            f"  generated {actors} RSA-2048 keys in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        asyncio.run(insert_actors(dsn, pems))
        port = _free_port()
        inbox_url = f"http://{ADDRESS}:{port}/inbox"
        private = [p for p, _ in pems]
        items = [(i % actors, f"<p>Buurtbericht {i}: de container staat weer vol.</p>") for i in range(total)]
        # One chunk per group of actors, so that each private key is loaded only once.
        groups = [range(a, min(a + 10, actors)) for a in range(0, actors, 10)]
        chunks = [(inbox_url, [it for it in items if it[0] in group], private) for group in groups]
        started = time.perf_counter()
        signed = [req for chunk in pool.map(_sign_chunk, chunks) for req in chunk]
        random.Random(1).shuffle(signed)  # interleave the actors again
    print(
        f"  signed {len(signed)} requests in {time.perf_counter() - started:.1f} s (before timing)",
        flush=True,
    )
    path = str(Path(tmp) / "requests.pickle")
    with open(path, "wb") as handle:
        pickle.dump(signed, handle)

    failures = 0
    for processes in counts:
        bare = [
            Child([PYTHON, __file__, "--role", "bare", "--host", ADDRESS, "--port", str(port)])
            for _ in range(processes)
        ]
        try:
            asyncio.run(wait_http(f"http://{ADDRESS}:{port}/healthz", child=bare[0]))
            time.sleep(0.5 if processes > 1 else 0)
            base = measured(bare, inbox_url, path, concurrency, warmup, timed)
        finally:
            for child in bare:
                child.stop()
        asyncio.run(inbox_rows(dsn, truncate=True))
        servers = start_buurtplein(processes, dsn, port, tmp, profile if processes == 1 else None)
        try:
            got = measured(servers, inbox_url, path, concurrency, warmup, timed)
        finally:
            for child in servers:
                child.stop(timeout=20)
        rows = asyncio.run(inbox_rows(dsn, truncate=True))
        accepted = got["statuses"].get(202, 0) + got["warm_statuses"].get(202, 0)
        ok = rows == accepted and got["statuses"].get(202, 0) == timed
        failures += not ok
        label = "buurtplein serve" if processes == 1 else f"{processes} processes, SO_REUSEPORT"
        print(f"\n[{processes} server process{'es' if processes > 1 else ''}: {label}]")
        print(
            f"  bare aiohttp 202 : {base['rate']:8.0f} req/s   p50 {base['p50'] * 1000:6.1f} ms"
            f"   p99 {base['p99'] * 1000:6.1f} ms   server CPU {base['server_cpu'] / timed * 1e6:5.0f} µs/req"
            f"   statuses {base['statuses']}"
        )
        print(
            f"  Buurtplein inbox : {got['rate']:8.0f} act/s   p50 {got['p50'] * 1000:6.1f} ms"
            f"   p99 {got['p99'] * 1000:6.1f} ms   server CPU {got['server_cpu'] / timed * 1e6:5.0f} µs/req"
            f"   PostgreSQL CPU {got['pg_cpu'] / timed * 1e6:4.0f} µs/req   statuses {got['statuses']}"
        )
        print(f"  ratio inbox/bare : {got['rate'] / base['rate']:8.1%}   (target >= 25 %)")
        print(
            f"  load generator CPU: bare {base['client_cpu'] / timed * 1e6:.0f} µs/req, "
            f"inbox {got['client_cpu'] / timed * 1e6:.0f} µs/req"
        )
        print(
            f"  check: inbox_items rows {rows} == 202 answers {accepted} "
            f"(warm-up included): {'OK' if ok else 'MISMATCH'}",
            flush=True,
        )
    print(f"\npeak RSS of this orchestrator: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
