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
import gc
import json
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import fresh_database, remove_database, server_dsn

from activitypub import keys
from activitypub.request_signing import sign_request
from federation.actors import RemoteActor
from server.appkeys import REMOTE
from server.domain import posts
from server.domain.actors import create_local_actor
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance
from tests.resilience.hostile_peers import hostile_peer
from tests.server.test_workers import sink

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


async def accepted(request: Any) -> Any:
    from aiohttp import web

    return web.Response(status=202)


async def run(args: argparse.Namespace) -> None:
    await fresh_database(TEMPLATE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with (
                running_instance(
                    server_dsn(), TEMPLATE, PEER_ADDRESSES[0], Path(tmp), workers=1, rate_limits_enabled=False
                ) as inst,
                sink(FAST, accepted) as (fast_base, _),
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
    rounds = 0
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
        rss.append(rss_mib())
        if args.trace_memory and rounds == 2:
            first_counts = object_counts()
        print(
            f"round {rounds}: ingest {clean_in:6.0f}/s clean, {faulty_in:6.0f}/s faulty ({faulty_in / clean_in:4.0%}); "
            f"delivery {clean_out:6.0f}/s clean, {faulty_out:6.0f}/s faulty ({faulty_out / clean_out:4.0%}); "
            f"RSS {rss[-1]:.0f} MiB",
            flush=True,
        )
        if time.monotonic() > ends:
            break
    print(f"RSS of the process (instance and load generator): first {rss[0]:.0f} MiB, after round 1 {rss[1]:.0f} MiB, "
          f"last {rss[-1]:.0f} MiB, max {max(rss):.0f} MiB over {rounds} rounds")  # fmt: skip
    print("target: faulty within 10 % of clean; RSS flat after the first round")
    if first_counts is not None:
        print_growth(first_counts, object_counts())


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
