"""Background workers: inbox processing and delivery, until `stop` is set."""

from __future__ import annotations

import asyncio

from server.config import Settings
from server.storage.pool import Pool


async def run_workers(settings: Settings, pool: Pool, stop: asyncio.Event) -> None:
    await stop.wait()
