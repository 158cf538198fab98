"""The periodic heap trim gives freed memory back to the system and stops on request."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from server import heap_trim

# Allocates ~64 MiB in 8 KiB blocks (below the allocator's mmap threshold, so they come
# from the heap), keeps one small block allocated after them (so free() cannot shrink
# the heap from its top), frees the rest, and prints the resident size before and after
# trim_heap().
FRAGMENTED = """
import sys
from server.heap_trim import trim_heap

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

blocks = [bytearray(8192) for _ in range(8192)]
for block in blocks:
    block[0] = 1
guard = bytearray(8192)
del blocks
before = rss()
trimmed = trim_heap()
print(before, rss(), trimmed)
"""


@pytest.mark.skipif(not heap_trim.can_trim(), reason="the C library has no malloc_trim (not glibc)")
def test_trim_returns_freed_heap_pages_to_the_system() -> None:
    done = subprocess.run([sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, timeout=60, check=True)
    before, after, trimmed = done.stdout.split()
    assert trimmed == "True"
    assert int(before) - int(after) >= 48, done.stdout  # MiB given back of the 64 freed


async def test_the_trimming_task_stops_at_once_when_asked() -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(heap_trim.run_heap_trimming(stop, interval=3600))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    stop.set()
    await asyncio.wait_for(task, 5)
    assert time.monotonic() - started < 1


async def test_an_interval_of_zero_switches_trimming_off() -> None:
    await asyncio.wait_for(heap_trim.run_heap_trimming(asyncio.Event(), interval=0), 1)


async def test_the_trimming_task_trims_each_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []
    monkeypatch.setattr(heap_trim, "trim_heap", lambda: calls.append(time.monotonic()) or True)
    stop = asyncio.Event()
    task = asyncio.create_task(heap_trim.run_heap_trimming(stop, interval=0.05))
    for _ in range(100):
        if len(calls) >= 3:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(calls) >= 3
