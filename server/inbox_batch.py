"""Inbox rows committed together: the activities whose requests arrive while the event loop
is busy are stored by one statement and one commit (group commit in the application), with
the instance policy checked per row in that statement. Each request still answers 202 only
after its own row is committed; a failed statement fails every request in it (503)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from server.coalescing import Flushes
from server.storage import inbox as inbox_store
from server.storage.pool import Pool

MAX_BATCH = 128  # rows per statement
MAX_STATEMENTS = 4  # statements in flight at once, per process


@dataclass
class _Pending:
    row: inbox_store.IncomingRow
    future: asyncio.Future[bool | None] = field(repr=False)


class InboxBatcher:
    """store() one activity; rows that arrive together share a statement."""

    def __init__(self, pool: Callable[[], Pool], *, allowlist_only: bool, wake_due: Callable[[], bool]) -> None:
        self._pool = pool  # the pool once the app has started
        self._allowlist_only = allowlist_only
        self._wake_due = wake_due  # () -> bool: whether this statement should NOTIFY
        self._pending: list[_Pending] = []
        self._flushes = Flushes(self._flush, MAX_STATEMENTS)

    async def store(self, row: inbox_store.IncomingRow) -> bool | None:
        """True: stored; False: seen before; None: refused by the instance policy."""
        future: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(row, future))
        self._flushes.start()
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await inbox_store.store_rows_unless_refused(
                    self._pool(),
                    [pending.row for pending in batch],
                    allowlist_only=self._allowlist_only,
                    notify=self._wake_due(),
                )
            except Exception as exc:
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)
