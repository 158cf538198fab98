"""The home timeline page and a neighbourhood page over HTTP with 100,000 posts in the
database: p50/p99 per page and the number of SQL statements per request (no N+1).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_pages.py [--quick]

A real instance on loopback (127.0.0.2, workers off, rate limits off) with a scratch
database: a registered resident who follows 300 people and a neighbourhood, the posts of
bench_timeline.py (every visibility; every tenth public post addressed to the
neighbourhood). A logged-in client reads /home and /@oosterpark sequentially, a fixed
number of times. Statements are counted on the server's asyncpg connections; the posts
of each page come from one statement whatever the number of posts on it (target p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
from bench_timeline import ACTORS, GROUPS, POSTS, SEED
from benchlib import fresh_database, percentile, remove_database, server_dsn

from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance
from tests.server.web.browser_client import PageClient

TEMPLATE = "bp_bench_pages_template"
FOLLOWED_PEOPLE = 300
SLOW_SECONDS = 2.0  # a page slower than this is read only SLOW_READS times (bounded run)
SLOW_READS = 3
POST_LIST_MARK = "FROM objects o LEFT JOIN actors au"  # the post-list statements of server.storage.web_reads


class StatementCounter:
    """Counts statements sent on every asyncpg connection of this process while active."""

    def __init__(self) -> None:
        self.total = 0
        self.kinds = Counter[str]()

    @contextmanager
    def counting(self) -> Iterator[None]:
        original = asyncpg.connection.Connection._execute

        async def counted(conn: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            self.total += 1
            if POST_LIST_MARK in query:
                self.kinds["post lists"] += 1
            return await original(conn, query, *args, **kwargs)

        asyncpg.connection.Connection._execute = counted
        try:
            yield
        finally:
            asyncpg.connection.Connection._execute = original


async def seed(inst: Instance) -> None:
    """100,000 posts by 3,000 remote actors; the resident follows 300 of them."""
    async with PageClient(inst) as browser:
        assert await browser.register("bewoner") in (200, 302, 303)
    me = await actor_store.local_actor(inst.pool, "bewoner")
    assert me is not None
    hood = await create_neighbourhood(federating(inst), "oosterpark", founder=me, name="Oosterpark")
    async with inst.pool.acquire() as conn:
        await conn.execute(SEED.split(";")[0], GROUPS, ACTORS)
        await conn.execute(SEED.split(";")[1], GROUPS, ACTORS, POSTS)
        await conn.execute(
            """UPDATE objects SET document = jsonb_build_object('audience', $1::text)
               WHERE id % 10 = 0 AND visibility = 'public' AND NOT is_local""",
            hood.ap_id,
        )
        await conn.execute(
            """INSERT INTO follows (ap_id, follower_id, followed_id, state)
               SELECT 'https://bench.example/follows/' || id, $1, id, 'accepted' FROM actors
               WHERE kind = 'Person' AND NOT is_local ORDER BY id LIMIT $2
               ON CONFLICT DO NOTHING""",
            me.id,
            FOLLOWED_PEOPLE,
        )
        await conn.execute(
            """INSERT INTO follows (ap_id, follower_id, followed_id, state)
               VALUES ('https://bench.example/follows/hood', $1, $2, 'accepted') ON CONFLICT DO NOTHING""",
            me.id,
            hood.id,
        )
        await conn.execute("ANALYZE")


async def measure(inst: Instance, path: str, reads: int, counter: StatementCounter) -> None:
    async with PageClient(inst) as browser:
        await browser.login("bewoner")
        started = time.perf_counter()
        status, page = await browser.get(path)  # warm up (templates, prepared statements)
        assert status == 200, (path, status)
        if time.perf_counter() - started > SLOW_SECONDS:
            print(f"{path}: the first read took {time.perf_counter() - started:.1f} s; only {SLOW_READS} more reads")
            reads = min(reads, SLOW_READS)
        timings: list[float] = []
        per_request: set[int] = set()
        lists: set[int] = set()
        for _ in range(reads):
            before, lists_before = counter.total, counter.kinds["post lists"]
            started = time.perf_counter()
            status, page = await browser.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == 200, (path, status)
            per_request.add(counter.total - before)
            lists.add(counter.kinds["post lists"] - lists_before)
    timings.sort()
    shown = page.count("<article")
    print(
        f"{path:<14} {reads} reads  p50 {percentile(timings, 0.5):5.1f} ms  p99 {percentile(timings, 0.99):5.1f} ms  "
        f"max {timings[-1]:5.1f} ms  posts shown {shown}  statements/request {sorted(per_request)}  "
        f"post-list statements/request {sorted(lists)}"
    )


async def main(quick: bool) -> None:
    await fresh_database(TEMPLATE)
    counter = StatementCounter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_instance(
                server_dsn(),
                TEMPLATE,
                PEER_ADDRESSES[0],
                Path(tmp),
                workers=0,
                rate_limits_enabled=False,
                registration_mode="open",
            ) as inst:
                started = time.perf_counter()
                await seed(inst)
                total = await inst.pool.fetchval("SELECT count(*) FROM objects")
                print(f"seeded {total} posts in {time.perf_counter() - started:.1f} s")
                with counter.counting():
                    for path in ("/home", "/@oosterpark"):
                        await measure(inst, path, 100 if quick else 500, counter)
                print("target: p99 < 50 ms; post lists: one statement per request")
    finally:
        await remove_database(TEMPLATE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 reads per page instead of 500")
    asyncio.run(main(parser.parse_args().quick))
