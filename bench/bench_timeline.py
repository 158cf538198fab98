"""Home timeline with 100,000 posts in the database: one query per page, p50/p99.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_timeline.py [--quick]

Builds a scratch database: 3,000 actors, a resident who follows 300 people and 20
neighbourhoods, 100,000 posts of every visibility (some addressed to neighbourhoods with
`audience`, some direct to the resident), 2,000 boosts. Then reads the first page and
pages deep in the timeline (random keyset cursors), and prints p50/p99 in ms (target p99
< 50 ms). The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time

from benchlib import fresh_database, percentile, remove_database

from server.storage.pool import connect, create_pool
from server.storage.timelines import home_timeline

ACTORS = 3_000
FOLLOWED_PEOPLE = 300
FOLLOWED_GROUPS = 20
GROUPS = 100
POSTS = 100_000
BOOSTS = 2_000

SEED = """
INSERT INTO actors (ap_id, kind, is_local, username, domain, inbox_url)
SELECT 'https://bench.example/actors/a' || i, CASE WHEN i <= $1 THEN 'Group' ELSE 'Person' END, false,
       'a' || i, 'bench.example', 'https://bench.example/actors/a' || i || '/inbox'
FROM generate_series(1, $2) i;

INSERT INTO objects (ap_id, type, actor_id, attributed_to, visibility, is_local, content, document, published_at)
SELECT 'https://bench.example/objects/' || i, 'Note', a.id, a.ap_id,
       (ARRAY['public', 'public', 'public', 'unlisted', 'followers', 'direct'])[1 + i % 6], false,
       '<p>post ' || i || '</p>',
       CASE WHEN i % 10 = 0 THEN jsonb_build_object('audience', 'https://bench.example/actors/a' || (1 + i % $1))
            ELSE '{}'::jsonb END,
       now() - make_interval(secs => $3 - i)
FROM generate_series(1, $3) i
JOIN actors a ON a.username = 'a' || (1 + (i * 7919) % $2);
"""


async def build(dsn: str) -> int:
    conn = await connect(dsn)
    try:
        await conn.execute(SEED.split(";")[0], GROUPS, ACTORS)
        await conn.execute(SEED.split(";")[1], GROUPS, ACTORS, POSTS)
        viewer = await conn.fetchval(
            """INSERT INTO actors (ap_id, kind, is_local, username, domain, inbox_url)
               VALUES ('https://bench.example/actors/me', 'Person', true, 'me', 'bench.example', 'x')
               RETURNING id"""
        )
        followed = await conn.fetch(
            """(SELECT id FROM actors WHERE kind = 'Person' AND id <> $1 ORDER BY id LIMIT $2)
               UNION ALL (SELECT id FROM actors WHERE kind = 'Group' ORDER BY id LIMIT $3)""",
            viewer,
            FOLLOWED_PEOPLE,
            FOLLOWED_GROUPS,
        )
        await conn.executemany(
            "INSERT INTO follows (ap_id, follower_id, followed_id, state) VALUES ($1, $2, $3, 'accepted')",
            [(f"https://bench.example/follows/{r['id']}", viewer, r["id"]) for r in followed],
        )
        await conn.execute(
            """INSERT INTO object_recipients (object_id, actor_id)
               SELECT id, $1 FROM objects WHERE visibility = 'direct' AND id % 12 = 5""",
            viewer,
        )
        await conn.execute(
            """INSERT INTO reactions (ap_id, kind, actor_id, object_ap_id)
               SELECT 'https://bench.example/boosts/' || i, 'Announce', f.followed_id,
                      'https://bench.example/objects/' || (1 + (i * 104729) % $2)
               FROM generate_series(1, $3) i
               JOIN LATERAL (SELECT followed_id FROM follows WHERE follower_id = $1
                             OFFSET i % $4 LIMIT 1) f ON true
               ON CONFLICT DO NOTHING""",
            viewer,
            POSTS,
            BOOSTS,
            FOLLOWED_PEOPLE,
        )
        await conn.execute("ANALYZE")
        return int(viewer)
    finally:
        await conn.close()


async def measure(dsn: str, viewer: int, rounds: int) -> None:
    pool = await create_pool(dsn)
    try:
        first = await home_timeline(pool, viewer, limit=20)
        assert len(first) == 20, "the timeline should be full"
        deepest = first[-1].id
        for _ in range(50):  # walk 50 pages down to find deep cursors
            page = await home_timeline(pool, viewer, limit=20, before=deepest)
            if not page:
                break
            deepest = page[-1].id
        cursors: list[int | None] = [None, *(random.randint(deepest, first[0].id) for _ in range(rounds))]
        timings: list[float] = []
        for cursor in cursors * 2:
            started = time.perf_counter()
            await home_timeline(pool, viewer, limit=20, before=cursor)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        total = await pool.fetchval("SELECT count(*) FROM objects")
        print(f"posts in database: {total}; followed: {FOLLOWED_PEOPLE} people + {FOLLOWED_GROUPS} neighbourhoods")
        print(f"home timeline, 20 per page, {len(timings)} reads (first page and random cursors), one query each")
        print(
            f"p50 {percentile(timings, 0.5):.1f} ms   p99 {percentile(timings, 0.99):.1f} ms   "
            f"max {timings[-1]:.1f} ms   (target p99 < 50 ms)"
        )
    finally:
        await pool.close()


async def main(quick: bool) -> None:
    name = "bp_bench_timeline"
    dsn = await fresh_database(name)
    try:
        started = time.perf_counter()
        viewer = await build(dsn)
        print(f"built in {time.perf_counter() - started:.1f} s")
        await measure(dsn, viewer, 100 if quick else 500)
    finally:
        await remove_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer reads")
    asyncio.run(main(parser.parse_args().quick))
    sys.exit(0)
