"""Requests per second for a 50-item Atom feed and an ICS feed of 500 events, served by a
real instance on loopback (one process, this machine's PostgreSQL), fresh and with a
matching If-None-Match (304). Bounded: a fixed number of requests per measurement.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_feeds.py
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchlib import fresh_database, remove_database, server_dsn

from server.domain.actors import create_local_actor
from tests.harness import PEER_ADDRESSES, Instance, running_instance
from tests.server.feed_data import plant_event, plant_object

TEMPLATE = "bp_bench_feeds_template"


async def _fill(inst: Instance, posts: int, events: int) -> None:
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark")
    start = datetime.now(UTC) + timedelta(days=1)
    for i in range(posts):
        await plant_object(inst, group, content=f"<p>Bericht {i} met wat <b>tekst</b> erin.</p>", tags=("buurt",))
    for i in range(events):
        await plant_event(
            inst,
            group,
            name=f"Activiteit {i}",
            starts_at=start + timedelta(hours=i),
            latitude=52.36,
            longitude=4.92,
            place_name="Het Plein",
        )


async def _measure(inst: Instance, path: str, requests: int, concurrency: int, etag: str | None) -> tuple[float, int]:
    headers = {"If-None-Match": etag} if etag else {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    size = 0

    async def client() -> None:
        nonlocal size
        while not queue.empty():
            queue.get_nowait()
            async with inst.session.get(inst.url(path), headers=headers) as resp:
                body = await resp.read()
                assert resp.status == (304 if etag else 200), resp.status
                size = len(body)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return requests / (time.perf_counter() - started), size


async def main(requests: int, concurrency: int) -> None:
    await fresh_database(TEMPLATE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with running_instance(
                server_dsn(), TEMPLATE, PEER_ADDRESSES[0], Path(tmp), workers=0, rate_limits_enabled=False
            ) as inst:
                await _fill(inst, posts=50, events=500)
                for label, path in (
                    ("Atom, 50 posts", "/feeds/neighbourhoods/oosterpark.atom"),
                    ("ICS, 500 events", "/calendar/neighbourhoods/oosterpark.ics"),
                ):
                    async with inst.session.get(inst.url(path)) as resp:
                        etag = resp.headers["ETag"]
                    await _measure(inst, path, 20, concurrency, None)  # warm up
                    fresh, size = await _measure(inst, path, requests, concurrency, None)
                    cached, _ = await _measure(inst, path, requests, concurrency, etag)
                    print(f"{label:18} {size / 1024:7.1f} KiB  200: {fresh:7.1f} req/s  304: {cached:7.1f} req/s")
    finally:
        await remove_database(TEMPLATE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
