"""Delivery fan-out: one post of a neighbourhood (Group) to F remote followers, delivered
by the real delivery workers to M loopback sink servers; deliveries per second, compared
with the raw RSA-2048 / Ed25519 signing rate of `cryptography` measured in the same run.

Run: .venv/bin/python bench/bench_fanout.py [--quick] [--followers F] [--sinks M]

What it does:
  1. creates a scratch database on DATABASE_URL (default the local PostgreSQL), migrates
     it, creates one local Group (create_local_actor) and F remote followers (accepted
     follows, bulk-inserted), spread round-robin over M sink servers, each follower with
     its own inbox URL; the sinks (one child process, 127.0.0.2-127.0.0.5, one port each,
     so M hosts; a minimal asyncio HTTP/1.1 responder, so they cost little of the shared
     CPU) answer any POST with 202 without verifying, and count;
  2. measures raw `cryptography` RSA-2048 PKCS#1 v1.5 SHA-256 and Ed25519 signs/s;
  3. runs three scenarios, each: publish one Note with server.domain.posts.create_note
     (queues F deliveries in one transaction), then run server.workers.Workers in this
     process until every delivery is done, and time it:
       (a) sinks answer 401 to RFC 9421 (`Signature-Input`) so every host falls back to
           draft-cavage RSA-2048: deliveries/s vs raw RSA sign/s (target >= 60 %);
       (b) sinks accept RFC 9421 (Ed25519): how far that lifts fan-out;
       (c) the same followers behind one shared inbox per sink: M POSTs;
  4. prints CPU per delivery (this process, sinks, PostgreSQL), the POSTs the sinks saw,
     and the peak RSS of this process (target < 300 MiB); drops the database at the end
     (also on failure) and stops the sinks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import PYTHON, Child, fresh_database, postgres_cpu, remove_database, wait_http

SINK_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
CONTROL_ADDRESS = "127.0.0.2"
LOCAL_DOMAIN = "127.0.0.1:9"  # our own origin in ids; nothing ever connects to it
RUN_TIMEOUT = 600.0
SECONDS_PER_RATE = 1.5
POLL = 0.05  # how often the run checks whether every delivery is finished


# --- the sinks (child process) --------------------------------------------------------------


class SinkProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 server connection for the sinks: reads each request (headers and
    a Content-Length body), counts it in `state`, answers 202 (or 401 to an RFC 9421
    signature in mode "cavage") and keeps the connection open. Far cheaper per request
    than a full web framework, so the sinks take less of the CPU the delivering process
    is measured on (chunked bodies are not needed: our client always sends a length)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.respond(head[0].split(" ")[1], headers)

    def respond(self, path: str, headers: dict[str, str]) -> None:
        state = self.state
        state["posts"] += 1
        rfc9421 = "signature-input" in headers
        if rfc9421 and state["mode"] == "cavage":
            state["rejected"] += 1
            status = b"401 Unauthorized"
        else:
            key = "rfc9421" if rfc9421 else "cavage" if "signature" in headers else "unsigned"
            state[key] += 1
            state["paths"].add((headers.get("host", ""), path))
            status = b"202 Accepted"
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")


def role_sinks(count: int, control_port: int) -> None:
    """M listeners (one port each) that count POSTs and answer 202, or 401 to an RFC 9421
    signature in mode "cavage"; plus a control server for mode, counters and addresses."""
    from aiohttp import web

    state: dict[str, Any] = {
        "mode": "any",
        "posts": 0,
        "rejected": 0,
        "cavage": 0,
        "rfc9421": 0,
        "unsigned": 0,
        "paths": set(),
    }

    async def control(request: web.Request) -> web.Response:
        action = request.match_info["action"]
        if action == "mode":
            state["mode"] = request.query["m"]
        if action in ("mode", "reset"):
            state.update(posts=0, rejected=0, cavage=0, rfc9421=0, unsigned=0, paths=set())
        if action == "sinks":
            return web.json_response(listening)
        summary = {k: v for k, v in state.items() if k != "paths"}
        summary["distinct_inboxes"] = len(state["paths"])
        return web.json_response(summary)

    listening: list[list[Any]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = []
        for index in range(count):
            address = SINK_ADDRESSES[index % len(SINK_ADDRESSES)]
            server = await loop.create_server(lambda: SinkProtocol(state), address, 0, backlog=1024)
            servers.append(server)
            listening.append([address, server.sockets[0].getsockname()[1]])
        capp = web.Application()
        capp.router.add_route("*", "/control/{action}", control)
        crunner = web.AppRunner(capp, access_log=None)
        await crunner.setup()
        await web.TCPSite(crunner, CONTROL_ADDRESS, control_port).start()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await crunner.cleanup()
        for server in servers:
            server.close()

    asyncio.run(main())


def loop_thread_cpu() -> float:
    """CPU seconds of this process's main thread (the event loop), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/self/task/{os.getpid()}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks


# --- raw signing rates -----------------------------------------------------------------------


def sign_rates() -> tuple[float, float]:
    """Raw RSA-2048 (PKCS#1 v1.5, SHA-256) and Ed25519 signs/s on a signing string of the
    size draft-cavage and RFC 9421 sign (a few hundred bytes), one thread."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

    data = b"(request-target): post /users/f1/inbox\nhost: 127.0.0.2:40000\n" + b"x" * 300
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()

    def rate(action: Any) -> float:
        action()
        count, start = 0, time.perf_counter()
        while True:
            for _ in range(20):
                action()
            count += 20
            now = time.perf_counter()
            if now - start >= SECONDS_PER_RATE:
                return count / (now - start)

    return (
        rate(lambda: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())),
        rate(lambda: ed_key.sign(data)),
    )


# --- the orchestrator (also the delivering process) -----------------------------------------


@dataclass
class Result:
    name: str
    deliveries: int
    publish_seconds: float
    seconds: float
    cpu: float
    loop_cpu: float  # of the event-loop thread alone (the rest: the signing thread)
    sink_cpu: float
    pg_cpu: float
    sinks: dict[str, Any]
    states: dict[str, int]
    rss_mib: float

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds


async def control(session: Any, port: int, action: str, **query: str) -> Any:
    async with session.post(f"http://{CONTROL_ADDRESS}:{port}/control/{action}", params=query) as resp:
        return await resp.json()


async def insert_followers(pool: Any, group_id: int, sinks: list[list[Any]], count: int) -> None:
    ap_ids, usernames, domains, inboxes = [], [], [], []
    for index in range(count):
        address, port = sinks[index % len(sinks)]
        base = f"http://{address}:{port}"
        ap_ids.append(f"{base}/users/f{index}")
        usernames.append(f"f{index}")
        domains.append(f"{address}:{port}")
        inboxes.append(f"{base}/users/f{index}/inbox")
    async with pool.acquire() as conn, conn.transaction():
        ids = await conn.fetch(
            """INSERT INTO actors (ap_id, kind, is_local, username, domain, inbox_url, followers_url,
                                   fetched_at)
               SELECT a, 'Person', false, u, d, i, a || '/followers', now()
               FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(a, u, d, i)
               RETURNING id, ap_id""",
            ap_ids,
            usernames,
            domains,
            inboxes,
        )
        await conn.copy_records_to_table(
            "follows",
            columns=["ap_id", "follower_id", "followed_id", "state"],
            records=[(r["ap_id"] + "/follows/1", r["id"], group_id, "accepted") for r in ids],
        )


async def set_shared_inboxes(pool: Any, shared: bool) -> None:
    async with pool.acquire() as conn:
        if shared:
            await conn.execute(
                """UPDATE actors SET shared_inbox_url = 'http://' || domain || '/inbox'
                   WHERE NOT is_local"""
            )
        else:
            await conn.execute("UPDATE actors SET shared_inbox_url = NULL WHERE NOT is_local")


async def scenario(
    name: str,
    *,
    pool: Any,
    settings: Any,
    keyring: Any,
    group: Any,
    session: Any,
    control_port: int,
    sinks: Child,
    mode: str,
    shared: bool,
) -> Result:
    from federation.http import HttpClient, HttpLimits
    from server.domain.federation_context import Federating
    from server.domain.posts import create_note
    from server.metrics import Metrics
    from server.remote import RemoteActors
    from server.workers import Workers

    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE deliveries, outgoing_activities, hosts")
    await set_shared_inboxes(pool, shared)
    await control(session, control_port, "mode", m=mode)
    limits = HttpLimits(  # as the server builds them from settings
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.fetch_timeout_seconds,
        max_response_bytes=settings.fetch_max_bytes,
        per_host_concurrency=settings.per_host_concurrency,
    )
    async with HttpClient(
        settings.base_url,
        limits=limits,
        allowed=settings.allowed_private_networks,
        signing_threads=settings.signing_threads,
    ) as http:
        remote = RemoteActors(pool, http, lambda: None)  # type: ignore[arg-type,return-value]
        fed = Federating(pool, settings, keyring, remote)
        started = time.perf_counter()
        await create_note(fed, group, f"<p>Straatfeest zaterdag ({name})</p>")
        publish_seconds = time.perf_counter() - started
        async with pool.acquire() as conn:
            expected = int(await conn.fetchval("SELECT count(*) FROM deliveries"))
        workers = Workers(settings, pool, http, keyring, remote, Metrics())
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        loop0 = loop_thread_cpu()
        sink0, pg0 = sinks.cpu(), postgres_cpu()
        started = time.perf_counter()
        task = asyncio.create_task(workers.run())
        finished = 0
        try:
            for _ in range(int(RUN_TIMEOUT / POLL) + 1):
                # whether any row is still queued: the first live entry of the partial index
                # answers (counting them every 50 ms cost PostgreSQL as much as a tenth of
                # the deliveries' own work, on the cores the run measures)
                async with pool.acquire() as conn:
                    waiting = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM deliveries WHERE state = 'queued')")
                if not waiting or task.done() or time.perf_counter() - started > RUN_TIMEOUT:
                    break
                await asyncio.sleep(POLL)
            seconds = time.perf_counter() - started
            async with pool.acquire() as conn:
                queued = await conn.fetchval("SELECT count(*) FROM deliveries WHERE state = 'queued'")
            finished = expected - int(queued)
        finally:
            await workers.stop()
            await asyncio.wait_for(task, 60)
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        loop_cpu = loop_thread_cpu() - loop0
        sink_cpu, pg_cpu = sinks.cpu() - sink0, postgres_cpu() - pg0
    if finished < expected:
        raise RuntimeError(f"{name}: only {finished} of {expected} deliveries finished in {RUN_TIMEOUT} s")
    async with pool.acquire() as conn:
        states = {
            r["state"]: int(r["n"])
            for r in await conn.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
        }
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    return Result(
        name,
        expected,
        publish_seconds,
        seconds,
        cpu,
        loop_cpu,
        sink_cpu,
        pg_cpu,
        await control(session, control_port, "stats"),
        states,
        usage1.ru_maxrss / 1024,
    )


def show(result: Result, baseline: float, baseline_name: str) -> None:
    n = result.deliveries
    print(f"  {result.name}")
    print(
        f"    {n} deliveries in {result.seconds:.2f} s = {result.rate:7.0f} deliveries/s"
        f"   ({result.rate / baseline:.1%} of raw {baseline_name} sign/s {baseline:.0f})"
    )
    print(f"    publish (create_note, {n} rows queued, one transaction): {result.publish_seconds * 1000:.0f} ms")
    print(
        f"    CPU per delivery: this process {result.cpu / n * 1e6:.0f} µs (event loop "
        f"{result.loop_cpu / n * 1e6:.0f} µs, other threads {(result.cpu - result.loop_cpu) / n * 1e6:.0f} µs), sinks "
        f"{result.sink_cpu / n * 1e6:.0f} µs, PostgreSQL {result.pg_cpu / n * 1e6:.0f} µs"
        f"   (this process busy {result.cpu / result.seconds:.0%} of the wall time)"
    )
    print(
        f"    sinks saw: {result.sinks}; delivery states: {result.states}; peak RSS so far {result.rss_mib:.0f} MiB",
        flush=True,
    )


async def run(args: argparse.Namespace, dsn: str) -> int:
    import aiohttp

    from server.config import Settings
    from server.domain.actors import create_local_actor
    from server.keyring import KeyRing
    from server.storage.pool import create_pool
    from tests.harness import PEER_NETWORKS, free_port

    rsa_rate, ed_rate = sign_rates()
    print(
        f"  raw cryptography, one thread: RSA-2048 sign {rsa_rate:.0f}/s, Ed25519 sign {ed_rate:.0f}/s",
        flush=True,
    )
    control_port = free_port(CONTROL_ADDRESS)
    sinks = Child(
        [
            PYTHON,
            __file__,
            "--role",
            "sinks",
            "--sinks",
            str(args.sinks),
            "--control-port",
            str(control_port),
        ]
    )
    pool = None
    try:
        await wait_http(f"http://{CONTROL_ADDRESS}:{control_port}/control/stats", child=sinks)
        settings = Settings(
            domain=LOCAL_DOMAIN,
            listen_host="127.0.0.1",
            database_url=dsn,
            allowed_private_networks=PEER_NETWORKS,
            workers=1,
            log_level="warning",
            secret_key="bench",
            **({"delivery_concurrency": args.concurrency} if args.concurrency else {}),
            **({"signing_threads": args.signing_threads} if args.signing_threads else {}),
        )
        pool = await create_pool(dsn)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://{CONTROL_ADDRESS}:{control_port}/control/sinks") as resp:
                sink_list = await resp.json()
            group = await create_local_actor(pool, settings, kind="Group", username="centrum")
            started = time.perf_counter()
            await insert_followers(pool, group.id, sink_list, args.followers)
            print(
                f"  {args.followers} followers over {len(sink_list)} sinks inserted in "
                f"{time.perf_counter() - started:.2f} s; delivery_concurrency "
                f"{settings.delivery_concurrency}, signing_threads {settings.signing_threads}, "
                f"per_host_concurrency {settings.per_host_concurrency}, "
                f"pool max 10\n",
                flush=True,
            )
            keyring = KeyRing(pool)
            common = {
                "pool": pool,
                "settings": settings,
                "keyring": keyring,
                "group": group,
                "session": session,
                "control_port": control_port,
                "sinks": sinks,
            }
            a = await scenario(
                "(a) RFC 9421 refused -> draft-cavage RSA-2048, one inbox per follower",
                mode="cavage",
                shared=False,
                **common,
            )
            # the machine's speed drifts (other guests on the host): the baseline is the
            # mean of the raw rate measured just before and just after (a)
            rsa_after, _ = sign_rates()
            print(f"    raw RSA-2048 sign/s before (a) {rsa_rate:.0f}, after {rsa_after:.0f}")
            rsa_rate = (rsa_rate + rsa_after) / 2
            show(a, rsa_rate, "RSA-2048")
            b = await scenario(
                "(b) RFC 9421 Ed25519 accepted, one inbox per follower",
                mode="any",
                shared=False,
                **common,
            )
            show(b, ed_rate, "Ed25519")
            print(f"    lift over (a): x{b.rate / a.rate:.2f}")
            c = await scenario("(c) shared inbox per sink (RFC 9421 accepted)", mode="any", shared=True, **common)
            show(c, ed_rate, "Ed25519")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("\nsummary")
        print(f"  raw RSA-2048 sign/s           {rsa_rate:8.0f}   (mean of before and after (a))")
        print(f"  (a) cavage deliveries/s       {a.rate:8.0f}   {a.rate / rsa_rate:6.1%} of raw RSA   (target >= 60 %)")
        print(f"  raw Ed25519 sign/s            {ed_rate:8.0f}")
        print(f"  (b) RFC 9421 deliveries/s     {b.rate:8.0f}   x{b.rate / a.rate:.2f} of (a)")
        print(
            f"  (c) shared inboxes            {c.deliveries:8d} POSTs for {args.followers} followers "
            f"in {c.seconds * 1000:.0f} ms ({args.followers / c.deliveries:.0f} followers per POST)"
        )
        print(f"  peak RSS of this process      {peak:8.0f} MiB   (target < 300 MiB)", flush=True)
        ok = (
            a.sinks["cavage"] == a.deliveries
            and b.sinks["rfc9421"] == b.deliveries
            and c.deliveries == len(sink_list)
            and all(set(r.states) == {"done"} for r in (a, b, c))
        )
        print(f"  check: every delivery done, sinks saw one accepted POST per delivery: {'OK' if ok else 'MISMATCH'}")
        return 0 if ok else 1
    finally:
        if pool is not None:
            await pool.close()
        sinks.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1000 followers over 20 sinks")
    parser.add_argument("--followers", type=int, default=None)
    parser.add_argument("--sinks", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=None, help="delivery_concurrency (default: the setting's)")
    parser.add_argument("--signing-threads", type=int, default=None, help="signing_threads (default: the setting's)")
    parser.add_argument("--role", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--control-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "sinks":
        role_sinks(args.sinks, args.control_port)
        return 0
    args.followers = args.followers or (1000 if args.quick else 10_000)
    args.sinks = args.sinks or (20 if args.quick else 200)
    name = f"bp_bench_fanout_{os.getpid()}"
    print(
        f"bench_fanout: {args.followers} followers on {args.sinks} sink hosts; {os.cpu_count()} CPUs; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        flush=True,
    )
    dsn = asyncio.run(fresh_database(name))
    try:
        return asyncio.run(run(args, dsn))
    finally:
        asyncio.run(remove_database(name))
        print(f"dropped database {name}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
