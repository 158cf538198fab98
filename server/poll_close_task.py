"""The poll closer in the background: every process that runs workers (`serve` with
`workers` > 0, and `buurtplein worker`) closes the local polls whose end time has passed,
sends their final results, and sends the batched results that are due.

Every `poll_close_interval_seconds` (at least `MIN_INTERVAL_SECONDS`) one pass runs
`close_due_polls` and `send_due_results` (server/domain/polls.py). Several processes may
run it at once: each poll is closed only while its `closed_at` is empty and each batch sent
only while its `results_due_at` is set, both under the poll's row lock, so every poll is
closed once and every batch sent once. A failing pass is logged and the next one comes at
the next interval; stopping waits for the pass in progress.
"""

from __future__ import annotations

import asyncio
import logging

from server.domain.events import now_utc
from server.domain.federation_context import Federating
from server.domain.polls import close_due_polls, send_due_results

log = logging.getLogger(__name__)
MIN_INTERVAL_SECONDS = 1.0


def close_interval(seconds: float) -> float:
    return max(seconds, MIN_INTERVAL_SECONDS)


async def close_polls_once(fed: Federating) -> tuple[list[str], list[str]]:
    """One pass: (ids of the polls closed, ids of the polls whose batched results were sent)."""
    closed = await close_due_polls(fed, now_utc())
    sent = await send_due_results(fed, now_utc())
    if closed or sent:
        log.info("poll closer pass", extra={"closed": len(closed), "results_sent": len(sent)})
    return closed, sent


async def run_poll_closing(fed: Federating, stop: asyncio.Event) -> None:
    """A pass every `poll_close_interval_seconds` until `stop` is set."""
    interval = close_interval(fed.settings.poll_close_interval_seconds)
    while not stop.is_set():
        try:
            await close_polls_once(fed)
        except Exception:
            log.exception("closing due polls failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
