"""Inbox ingest and delivery throughput with one peer black-holed and one slow, as a ratio
to the clean run (target: within 10 %), and the RSS of the server process over the run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_faults.py --quick
    ... bench_faults.py --seconds 600        # the 10-minute memory run

One real instance on 127.0.0.2 in this process (one worker, rate limits off), its own
scratch database. Each round measures, clean and then faulty:
* ingest: N signed Create{Note} from 50 cached remote actors, POSTed over HTTP, timed until
  the worker has processed them all; the faulty round adds activities from an actor on a
  black-holed peer and one on a slow-loris peer (tests/resilience/hostile_peers.py) whose
  objects must be fetched from those peers;
* delivery: M notes of a neighbourhood with F followers on a fast loopback sink, timed
  until every delivery to the sink is done; the faulty round adds a follower on each of
  the two bad peers.
Rounds repeat until --seconds (120 with --quick) have passed; RSS is sampled after every
round (first, last, max). Every wait is bounded; the peers and the instance are stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import statistics
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from benchlib import fresh_database, remove_database, server_dsn

from activitypub import keys
from activitypub.request_signing import sign_request
from federation.actors import RemoteActor
from server.appkeys import REMOTE
from server.domain import posts
from server.domain.actors import create_local_actor
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from tests.harness import PEER_ADDRESSES, Instance, federating, free_port, running_instance
from tests.resilience.hostile_peers import hostile_peer

TEMPLATE = "bp_bench_faults_template"
AS = "https://www.w3.org/ns/activitystreams"
KEY = keys.generate_rsa_key()
FAST = "127.0.0.3"


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
    ]


def heap_mib() -> tuple[float, float]:
    """(bytes the C allocator has handed out, bytes it holds free) in MiB, from glibc's
    mallinfo2; NaN where it is not available. In use flat while RSS grows means
    fragmentation; in use growing means something keeps memory."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return float("nan"), float("nan")
    return (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20


def remote_actor(base: str, name: str) -> RemoteActor:
    ap_id = f"{base}/users/{name}"
    return RemoteActor(
        ap_id=ap_id, kind="Person", username=name, domain=base.split("//")[1], name=name, summary="",
        url=None, inbox=f"{ap_id}/inbox", outbox=None, shared_inbox=None, followers=None, following=None,
        featured=None, icon=None, image=None, manually_approves=False, discoverable=True,
        also_known_as=(), moved_to=None, keys=(), document={"id": ap_id},
    )  # fmt: skip


async def add_actor(inst: Instance, base: str, name: str) -> ActorRow:
    actor = remote_actor(base, name)
    with_key = RemoteActor(**{**actor.__dict__, "keys": (_key(actor.ap_id),)})
    return await inst.app[REMOTE].store(with_key)


def _key(ap_id: str) -> Any:
    from federation.actors import RemoteKey

    return RemoteKey(f"{ap_id}#main-key", "rsa", keys.public_key_to_pem(KEY.public_key()))


def create(actor: str, embedded: bool) -> dict[str, Any]:
    note_id = f"{actor}/notes/{uuid.uuid4()}"
    note = {"id": note_id, "type": "Note", "attributedTo": actor, "content": "hallo buurt", "to": [AS + "#Public"]}
    return {
        "@context": AS, "id": note_id + "/activity", "type": "Create", "actor": actor,
        "to": [AS + "#Public"], "object": note if embedded else note_id,
    }  # fmt: skip


async def post_signed(inst: Instance, activity: dict[str, Any]) -> int:
    body = json.dumps(activity).encode()
    url = inst.url("/inbox")
    headers = sign_request(
        "POST", url, {"Content-Type": "application/activity+json"}, body,
        key_id=activity["actor"] + "#main-key", private_key=KEY, now=datetime.now(UTC),
    )  # fmt: skip
    async with inst.session.post(url, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def until(check: Callable[[], Awaitable[bool]], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not finished within {limit} s")
        await asyncio.sleep(0.05)


async def ingest(inst: Instance, senders: list[str], bad: list[str], count: int) -> float:
    """Activities per second of the good senders, from the first POST until processed."""
    good = [create(senders[i % len(senders)], embedded=True) for i in range(count)]
    slow = [create(actor, embedded=False) for actor in bad for _ in range(5)]
    ids = [a["id"] for a in good]
    started = time.perf_counter()
    sem = asyncio.Semaphore(32)

    async def send(activity: dict[str, Any]) -> None:
        async with sem:
            assert await post_signed(inst, activity) == 202

    await asyncio.gather(*(send(a) for a in slow + good))

    async def processed() -> bool:
        left = await inst.pool.fetchval(
            "SELECT count(*) FROM inbox_items WHERE activity_id = ANY($1) AND state = 'queued'", ids
        )
        return int(left) == 0

    await until(processed, 300)
    return count / (time.perf_counter() - started)


async def deliver(inst: Instance, group: ActorRow, notes: int, fast_inbox_prefix: str) -> float:
    """Deliveries per second to the fast sink, from the first publish until all are done."""
    started = time.perf_counter()
    after = int(await inst.pool.fetchval("SELECT coalesce(max(id), 0) FROM deliveries"))
    for i in range(notes):
        await posts.create_note(federating(inst), group, f"bericht {i}")
    expected = notes * await _fast_followers(inst, group, fast_inbox_prefix)

    async def done() -> bool:
        return await _fast_done(inst, fast_inbox_prefix, after) >= expected

    await until(done, 300)
    return expected / (time.perf_counter() - started)


async def _fast_done(inst: Instance, prefix: str, after: int) -> int:
    """Finished deliveries to the fast sink among those made after row `after` (only this
    round's rows are counted, so the check costs the same in every round)."""
    value = await inst.pool.fetchval(
        "SELECT count(*) FROM deliveries WHERE id > $1 AND state = 'done' AND inbox_url LIKE $2", after, prefix + "%"
    )
    return int(value)


async def _fast_followers(inst: Instance, group: ActorRow, prefix: str) -> int:
    value = await inst.pool.fetchval(
        """SELECT count(*) FROM follows f JOIN actors a ON a.id = f.follower_id
           WHERE f.followed_id = $1 AND a.inbox_url LIKE $2""",
        group.id,
        prefix + "%",
    )
    return int(value)


async def follow(inst: Instance, group: ActorRow, actor: ActorRow) -> None:
    await follow_store.upsert_follow(inst.pool, f"{actor.ap_id}#follow", actor.id, group.id, "accepted")


@contextlib.asynccontextmanager
async def counting_sink(address: str) -> AsyncIterator[str]:
    """A fast inbox that answers 202 to every POST and keeps nothing (a sink that records
    each request would itself grow the RSS this benchmark watches)."""
    port = free_port(address)

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    await web.TCPSite(runner, address, port).start()
    try:
        yield f"http://{address}:{port}"
    finally:
        await runner.cleanup()


async def run(args: argparse.Namespace) -> None:
    await fresh_database(TEMPLATE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                running_instance(
                    server_dsn(), TEMPLATE, PEER_ADDRESSES[0], Path(tmp), workers=1, rate_limits_enabled=False
                ) as inst,
                counting_sink(FAST) as fast_base,
                hostile_peer("blackhole") as hole,
                hostile_peer("slowloris") as slow,
            ):
                await measure(inst, args, fast_base, [hole.base, slow.base])
    finally:
        await remove_database(TEMPLATE)


async def measure(inst: Instance, args: argparse.Namespace, fast_base: str, bad_bases: list[str]) -> None:
    senders = [(await add_actor(inst, fast_base, f"s{i}")).ap_id for i in range(50)]
    bad = [(await add_actor(inst, base, "evil")).ap_id for base in bad_bases]
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark")
    for i in range(args.followers):
        await follow(inst, group, await add_actor(inst, fast_base, f"f{i}"))
    bad_followers = [await add_actor(inst, base, "follower") for base in bad_bases]
    rss: list[float] = [rss_mib()]
    ends = time.monotonic() + args.seconds
    first_counts: Counter[str] | None = None
    first_sizes: dict[int, int] = {}
    rounds = 0
    ratios: list[tuple[float, float]] = []
    totals = [0.0, 0.0, 0.0, 0.0]  # sums of the clean and faulty ingest and delivery rates
    while True:
        clean_in = await ingest(inst, senders, [], args.activities)
        faulty_in = await ingest(inst, senders, [] if args.no_faults else bad, args.activities)
        for actor in bad_followers:
            await inst.pool.execute("DELETE FROM follows WHERE follower_id = $1", actor.id)
        clean_out = await deliver(inst, group, args.notes, fast_base)
        for actor in [] if args.no_faults else bad_followers:
            await follow(inst, group, actor)
        faulty_out = await deliver(inst, group, args.notes, fast_base)
        rounds += 1
        ratios.append((faulty_in / clean_in, faulty_out / clean_out))
        totals = [a + b for a, b in zip(totals, (clean_in, faulty_in, clean_out, faulty_out), strict=True)]
        rss.append(rss_mib())
        heap = heap_mib()
        if args.trace_memory and rounds == 2:
            first_counts = object_counts()
            first_sizes = container_sizes()
        print(
            f"round {rounds}: ingest {clean_in:6.0f}/s clean, {faulty_in:6.0f}/s faulty ({faulty_in / clean_in:4.0%}); "
            f"delivery {clean_out:6.0f}/s clean, {faulty_out:6.0f}/s faulty ({faulty_out / clean_out:4.0%}); "
            f"RSS {rss[-1]:.0f} MiB (heap in use {heap[0]:.1f}, free {heap[1]:.1f})",
            flush=True,
        )
        if time.monotonic() > ends:
            break
    print(f"RSS of the process (instance and load generator): first {rss[0]:.0f} MiB, after round 1 {rss[1]:.0f} MiB, "
          f"last {rss[-1]:.0f} MiB, max {max(rss):.0f} MiB over {rounds} rounds")  # fmt: skip
    print_ratios(ratios, totals)
    print("target: faulty within 10 % of clean; RSS flat after the first round")
    if first_counts is not None:
        print_growth(first_counts, object_counts())
        print_container_growth(first_sizes)


def print_ratios(ratios: list[tuple[float, float]], totals: list[float]) -> None:
    """Faulty ÷ clean over the whole run (mean rates), the median round, and how many
    rounds were within ±10 % (single rounds are noisy: --no-faults shows how noisy)."""
    for index, name in enumerate(("ingest", "delivery")):
        each = sorted(pair[index] for pair in ratios)
        within = sum(1 for r in each if 0.9 <= r <= 1.1)
        overall = totals[2 * index + 1] / totals[2 * index]
        print(
            f"{name}: faulty ÷ clean over the run {overall:.1%}, median round {statistics.median(each):.1%}, "
            f"{within} of {len(each)} rounds within ±10 %"
        )


def object_counts() -> Counter[str]:
    """Live objects tracked by the garbage collector, per type (costs nothing between calls)."""
    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def print_growth(first: Counter[str], last: Counter[str]) -> None:
    """The object types whose number grew most between the two counts."""
    growth = (last - first).most_common(15)
    before, after = sum(first.values()), sum(last.values())
    print(f"objects tracked by the garbage collector: {before} after round 2, {after} at the end")
    for name, count in growth:
        print(f"  {count:+8d} {name}")


CONTAINERS = (dict, list, set, frozenset, deque, bytearray)


def container_sizes() -> dict[int, int]:
    """The length of every live container the garbage collector tracks, by object id."""
    gc.collect()
    return {id(o): len(o) for o in gc.get_objects() if isinstance(o, CONTAINERS)}


def print_container_growth(first: dict[int, int]) -> None:
    """The containers whose length grew most since `first` (a count of objects does not see a
    dict or list that only gets longer), each with the attribute or module that holds it."""
    gc.collect()
    grown = [(len(o) - first.get(id(o), 0), o) for o in gc.get_objects() if isinstance(o, CONTAINERS) and len(o) >= 50]
    grown.sort(key=lambda pair: pair[0], reverse=True)
    print("containers that grew most since round 2:")
    for growth, container in grown[:12]:
        if growth <= 0:
            break
        print(f"  {growth:+8d} {type(container).__qualname__} of {len(container)}, held by {holder(container)}")


def holder(container: object) -> str:
    """Where a container is held: `Type.attribute`, a module global, or the referrers' types."""
    names = []
    for ref in gc.get_referrers(container):
        if isinstance(ref, dict):
            key = next((k for k, v in ref.items() if v is container), None)
            owner = next((o for o in gc.get_referrers(ref) if getattr(o, "__dict__", None) is ref), None)
            if ref.get("__name__") and key is not None and "__builtins__" in ref:
                names.append(f"{ref['__name__']}.{key}")
            elif owner is not None:
                names.append(f"{type(owner).__module__}.{type(owner).__qualname__}.{key}")
            else:
                names.append(f"dict[{key!r}]")
        elif type(ref).__name__ != "frame":
            names.append(type(ref).__qualname__)
    return ", ".join(names[:4]) or "nothing tracked"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 2-minute run")
    parser.add_argument("--seconds", type=float, default=600.0, help="run rounds for this long (default 600)")
    parser.add_argument("--activities", type=int, default=1000, help="activities per ingest measurement")
    parser.add_argument("--notes", type=int, default=5, help="notes per delivery measurement")
    parser.add_argument("--followers", type=int, default=200, help="followers on the fast sink")
    parser.add_argument(
        "--no-faults", action="store_true", help="a control run: the 'faulty' rounds get no bad peers either"
    )
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="count live objects per type after round 2 and at the end; print what grew",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds = min(args.seconds, 120.0)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
