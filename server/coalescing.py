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
    current loop iteration, so that the requests handled in it are all in its batch."""

    def __init__(self, flush: Callable[[], Awaitable[None]], limit: int) -> None:
        self._flush = flush
        self._limit = limit
        self._running: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if len(self._running) < self._limit:
            task = asyncio.create_task(self._run())
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self) -> None:
        await asyncio.sleep(0)
        await self._flush()


class Coalescer(Generic[K, V]):
    """get(key): the value `fetch` finds for it (None when it finds none)."""

    def __init__(self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]]) -> None:
        self._fetch = fetch
        self._waiting: dict[K, list[asyncio.Future[V | None]]] = {}
        self._flushes = Flushes(self._flush, MAX_STATEMENTS)

    async def get(self, key: K) -> V | None:
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
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
