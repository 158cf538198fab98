"""Lookups that arrive together share one query: the keys asked for while the event loop
handles one batch of requests are fetched by one statement, sent after all of them arrived
(so every caller sees data at least as new as its own request). Hot read paths (actor
documents, WebFinger) use it to make one database round trip serve many requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_KEYS = 256  # keys per statement
MAX_STATEMENTS = 4  # statements in flight at once


class Flushes:
    """The flush tasks of one batcher: at most `limit` at a time, each starting after the
    current loop iteration, so that the requests handled in it are all in its batch.

    A flush counts as running until its last look at the queue (found empty) returns, with
    no await in between, so a request queued at any moment either sees a running flush
    that will still take it or starts one."""

    def __init__(self, flush: Callable[[], Awaitable[None]], limit: int) -> None:
        self._flush = flush
        self._limit = limit
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()  # strong references while they run

    @property
    def active(self) -> int:
        """Flushes started and not yet finished."""
        return self._active

    def start(self) -> None:
        if self._active < self._limit:
            self._active += 1
            task = asyncio.create_task(self._run())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        try:
            await asyncio.sleep(0)
            await self._flush()
        finally:
            self._active -= 1


class Coalescer(Generic[K, V]):
    """get(key): the value `fetch` finds for it (None when it finds none).

    While a statement is in flight, new keys wait for it to return and then go together in
    the next one (the running flush takes them); a further statement starts beside it only
    once a full batch waits. So under load each statement carries what arrived during the
    previous one's round trip, instead of the load being spread thinly over several
    statements."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._flushes = Flushes(self._flush, MAX_STATEMENTS)

    async def get(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if not self._flushes.active or len(self._waiting) >= MAX_KEYS:
            self._flushes.start()
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            keys = list(self._waiting)[:MAX_KEYS]
            batch = {key: self._waiting.pop(key) for key in keys}
            try:
                found = await self._fetch(keys)
            except Exception as exc:
                _settle(batch.values(), exception=exc)
                continue
            for key, futures in batch.items():
                _settle([futures], value=found.get(key))


def _settle(
    groups: Iterable[list[asyncio.Future[V | None]]], *, value: V | None = None, exception: Exception | None = None
) -> None:
    for futures in groups:
        for future in futures:
            if future.done():
                continue
            if exception is not None:
                future.set_exception(exception)
            else:
                future.set_result(value)
