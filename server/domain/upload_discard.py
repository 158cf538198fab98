"""Taking back the images of a composer submission that did not become a post: when a
later image of a multi-image post is refused, or publishing fails, the images stored before
it lose their rows and files, so a failed submission leaves no orphans."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from server.config import Settings
from server.domain.media import remove_files
from server.storage import upload_discard as discard_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool

log = logging.getLogger(__name__)


async def discard_uploads(pool: Pool, settings: Settings, owner: ActorRow, media_ids: Sequence[int]) -> int:
    """Forget the owner's still unattached media among `media_ids` and remove their files;
    returns how many files were removed."""
    names = await discard_store.delete_unattached(pool, owner.id, media_ids)
    removed = await remove_files(settings, names) if names else 0
    if names:
        log.info("uploads of a failed submission discarded", extra={"count": len(names)})
    return removed
