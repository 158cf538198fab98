"""Threads that make costly signatures (RSA) beside the event loop.

`cryptography` releases the interpreter lock while it signs, so a thread signs while
the loop goes on sending and receiving. Unlike an executor, which wakes the loop once
for every result, these threads hand finished signatures back in batches: the first
result of a batch schedules one callback on the loop and the results finished before it
runs ride along, so a fan-out of thousands of signatures costs the loop far fewer
wake-ups (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["SigningThreads"]

T = TypeVar("T")
_Job = tuple[Callable[..., Any], tuple[Any, ...], "asyncio.Future[Any]"]
_Result = tuple["asyncio.Future[Any]", Any, BaseException | None]


class SigningThreads:
    """`count` daemon threads taking signing jobs for one event loop; `close` stops them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, count: int, name: str = "buurtplein-signing") -> None:
        self._loop = loop
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._results: list[_Result] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(count)]
        for thread in self._threads:
            thread.start()

    def run(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """`function(*args)` on a signing thread; call on the loop, await the future."""
        future: asyncio.Future[T] = self._loop.create_future()
        self._jobs.put((function, args, future))
        return future

    def close(self) -> None:
        """Let each thread finish its current job and stop; later jobs are not run."""
        for _ in self._threads:
            self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            function, args, future = job
            try:
                result: _Result = (future, function(*args), None)
            except BaseException as exc:  # handed to the awaiting task, raised there
                result = (future, None, exc)
            with self._lock:
                first = not self._results
                self._results.append(result)
            if first:
                try:
                    self._loop.call_soon_threadsafe(self._hand_back)
                except RuntimeError:  # the loop is closed: nobody waits any more
                    return

    def _hand_back(self) -> None:
        with self._lock:
            results, self._results = self._results, []
        for future, value, error in results:
            if future.done():  # cancelled meanwhile
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
