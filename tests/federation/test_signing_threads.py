"""Signing threads run jobs beside the loop and hand results back in batches."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from unittest import mock

import pytest

from federation.signing_threads import SigningThreads


async def test_results_come_back_to_the_awaiting_tasks() -> None:
    threads = SigningThreads(asyncio.get_running_loop(), 3)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(threads.run(lambda data: data[::-1], bytes([i, i + 1])) for i in range(200))), 10
        )
    finally:
        threads.close()
    assert results == [bytes([i + 1, i]) for i in range(200)]


async def test_the_work_runs_on_the_signing_threads() -> None:
    threads = SigningThreads(asyncio.get_running_loop(), 2, name="test-signing")
    try:
        names = await asyncio.wait_for(
            asyncio.gather(*(threads.run(lambda: threading.current_thread().name) for _ in range(20))), 10
        )
    finally:
        threads.close()
    assert {name.rsplit("-", 1)[0] for name in names} == {"test-signing"}


async def test_an_error_is_raised_in_the_awaiting_task() -> None:
    threads = SigningThreads(asyncio.get_running_loop(), 1)

    def fail(data: bytes) -> bytes:
        raise ValueError(f"cannot sign {data!r}")

    try:
        with pytest.raises(ValueError, match="cannot sign"):
            await asyncio.wait_for(threads.run(fail, b"x"), 10)
        assert await asyncio.wait_for(threads.run(len, b"abc"), 10) == 3  # the thread lives on
    finally:
        threads.close()


async def test_results_finished_together_wake_the_loop_once() -> None:
    loop = asyncio.get_running_loop()
    gate = threading.Event()
    threads = SigningThreads(loop, 4)
    try:
        with mock.patch.object(loop, "call_soon_threadsafe", wraps=loop.call_soon_threadsafe) as wake:
            futures = [threads.run(lambda: gate.wait(5)) for _ in range(4)]
            await asyncio.sleep(0.05)  # all four threads hold a job
            gate.set()
            hold_the_loop_until(lambda: wake.call_count > 0)  # the other results pile up meanwhile
            await asyncio.wait_for(asyncio.gather(*futures), 10)
        assert wake.call_count == 1
    finally:
        threads.close()


async def test_a_cancelled_wait_does_not_disturb_the_others() -> None:
    threads = SigningThreads(asyncio.get_running_loop(), 1)
    gate = threading.Event()
    try:
        slow = threads.run(lambda: gate.wait(5))
        after = threads.run(len, b"ab")
        slow.cancel()
        gate.set()
        assert await asyncio.wait_for(after, 10) == 2
    finally:
        threads.close()


def test_close_stops_every_thread() -> None:
    loop = asyncio.new_event_loop()
    try:
        SigningThreads(loop, 3, name="closing-signing").close()
        for thread in [t for t in threading.enumerate() if t.name.startswith("closing-signing")]:
            thread.join(5)
        assert not any(t.name.startswith("closing-signing") for t in threading.enumerate())
    finally:
        loop.close()


def hold_the_loop_until(condition: Callable[[], bool]) -> None:
    """Block the calling event loop (at most 5 s) until `condition`, then 50 ms more."""
    deadline = time.monotonic() + 5
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(0.05)
