"""Neighbourhood bans that end by themselves, ended in the background: every process that
runs workers (`serve` with `workers` > 0, and `buurtplein worker`) ends the bans whose end
time has passed as a moderator's lifting does (server/domain/ban_lift.py, end_expired_bans).

The ban stops counting at its end time whatever this task does (the membership reads skip
it); the pass, every `INTERVAL_SECONDS`, deletes the row, writes `ban_expired` to the
moderation log and sends a remote member's server Undo{Block}. Batches follow each other
while there are more. Several processes may run it at once: the claim deletes each row
under its lock and skips rows another process holds, so every ban is ended once. A failing
pass is logged and the next one comes at the next interval; stopping waits for the pass in
progress.
"""

from __future__ import annotations

import asyncio
import logging

from server.domain.ban_lift import EXPIRED_AT_ONCE, end_expired_bans
from server.domain.federation_context import Federating

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60.0


async def end_bans_once(fed: Federating) -> int:
    """One pass: how many bans were ended."""
    total = 0
    while True:
        ended = await end_expired_bans(fed)
        total += ended
        if ended < EXPIRED_AT_ONCE:
            break
    if total:
        log.info("bans ended at their end time", extra={"ended": total})
    return total


async def run_ban_expiry(fed: Federating, stop: asyncio.Event, *, interval: float = INTERVAL_SECONDS) -> None:
    """A pass every `interval` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            await end_bans_once(fed)
        except Exception:
            log.exception("ending expired bans failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
