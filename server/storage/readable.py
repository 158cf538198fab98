"""One object (a post, an event, a poll; local or remote) as a given reader may read it,
by the shared visibility predicate of `server.storage.visibility`."""

from __future__ import annotations

from server.storage.actors import Db
from server.storage.objects import ObjectRow
from server.storage.visibility import object_columns, visible_to


async def readable_object(db: Db, ap_id: str, viewer_id: int | None) -> ObjectRow | None:
    """The undeleted object `ap_id` when the viewer (None: a visitor) may read it."""
    row = await db.fetchrow(
        f"SELECT {object_columns('o')} FROM objects o WHERE o.ap_id = $1 AND {visible_to('o', '$2')}",
        ap_id,
        viewer_id,
    )
    return ObjectRow(**dict(row)) if row else None
