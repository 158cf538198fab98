"""`buurtplein clean-media`, and the same pass in the background: every process that runs
workers (`serve` with `workers` > 0, and `buurtplein worker`) cleans media once an hour
(server.domain.media_cleanup: unattached uploads older than a day, kept pictures that
nothing shows any more, files without a row).
A failing pass is logged and the next one comes an hour later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import click

from server.config import Settings

if TYPE_CHECKING:
    from server.domain.media_cleanup import CleanResult
    from server.storage.pool import Pool

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 3600.0


async def run_media_cleaning(
    pool: Pool, settings: Settings, stop: asyncio.Event, *, interval: float = INTERVAL_SECONDS
) -> None:
    """Clean media every `interval` seconds (the first pass after one interval) until `stop`."""
    from server.domain.media_cleanup import clean_media

    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
            return
        except TimeoutError:
            pass
        try:
            result = await clean_media(pool, settings)
            if result.unattached or result.orphan_files or result.unshown:
                log.info(
                    "media cleaned",
                    extra={
                        "unattached": result.unattached,
                        "orphan_files": result.orphan_files,
                        "unshown": result.unshown,
                    },
                )
        except Exception:
            log.exception("media cleaning pass failed")


async def clean_once(settings: Settings) -> CleanResult:
    from server.domain.media_cleanup import clean_media
    from server.serve import migrated_pool

    async with migrated_pool(settings) as pool:
        return await clean_media(pool, settings)


@click.command("clean-media")
@click.pass_context
def clean_media_command(ctx: click.Context) -> None:
    """Remove uploads never attached to a post (older than a day), kept pictures nothing
    shows any more, and media files without a row."""
    from server.cli import _run, _settings

    result = _run(lambda: clean_once(_settings(ctx)))
    click.echo(
        f"removed {result.unattached} unattached upload(s), {result.unshown} picture(s) nothing shows any more"
        f" and {result.orphan_files} file(s) without a row"
    )
