"""Media housekeeping: uploads that were never attached to a post are forgotten after a day
(row and file), an event picture kept because something else showed its URL is forgotten
once nothing does (its event deleted or showing another picture), and files in
data_dir/media that no media row names any more (left by a crash between writing a file
and committing its row, or by an import that failed) are removed once they are an hour
old — younger ones may belong to an upload or an import still in progress.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from server.config import Settings
from server.domain.media import media_directory, remove_files
from server.storage import media as media_store
from server.storage import media_cleanup as store
from server.storage.pool import Pool
from server.urls import Urls

UNATTACHED_MAX_AGE = timedelta(days=1)
ORPHAN_FILE_GRACE = timedelta(hours=1)
BATCH = 500


@dataclass(frozen=True)
class CleanResult:
    unattached: int  # upload rows (and their files) forgotten
    orphan_files: int  # files without a row removed
    unshown: int = 0  # kept pictures that nothing shows any more (rows and files) forgotten


def _old_files(directory: Path, cutoff: datetime) -> list[str]:
    """Names of plain files in `directory` last changed before `cutoff`."""
    found: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return found
    limit = cutoff.timestamp()
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
            continue
        if entry.stat(follow_symlinks=False).st_mtime < limit:
            found.append(entry.name)
    return sorted(found)


async def clean_media(pool: Pool, settings: Settings, *, now: datetime | None = None) -> CleanResult:
    """One pass: forget stale unattached uploads and kept pictures nothing shows any more,
    then remove files no row names."""
    now = now or datetime.now(UTC)
    unattached = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            names = await store.delete_unattached_before(conn, now - UNATTACHED_MAX_AGE, BATCH)
        await remove_files(settings, names)  # committed: the files go too
        unattached += len(names)
        if len(names) < BATCH:
            break
    unshown = 0
    prefix = Urls(settings).media("")
    while True:
        async with pool.acquire() as conn, conn.transaction():
            names = await media_store.forget_media_shown_by_nothing(conn, prefix, BATCH)
        await remove_files(settings, names)
        unshown += len(names)
        if len(names) < BATCH:
            break
    candidates = await asyncio.to_thread(_old_files, media_directory(settings), now - ORPHAN_FILE_GRACE)
    orphans: list[str] = []
    for start in range(0, len(candidates), BATCH):
        chunk = candidates[start : start + BATCH]
        known = await store.known_file_names(pool, chunk)
        orphans += [name for name in chunk if name not in known]
    removed = await remove_files(settings, orphans)
    return CleanResult(unattached=unattached, orphan_files=removed, unshown=unshown)
