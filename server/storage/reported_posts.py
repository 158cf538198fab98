"""SQL for what moderators read on the report lists: the text of the reported posts, as
stored (sanitised on the way in; shown through the one sanitiser again), for exactly the
reported posts the reader may see (the shared `visible_to` predicate) — nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from server.storage.actors import Db
from server.storage.visibility import visible_to

MAX_POSTS = 500


@dataclass(frozen=True)
class ReportedPost:
    ap_id: str
    content: str
    summary: str | None
    author_handle: str


async def reported_posts(db: Db, ap_ids: list[str], viewer_id: int | None) -> dict[str, ReportedPost]:
    """The readable, undeleted posts among `ap_ids`, by id."""
    wanted = list(dict.fromkeys(ap_ids))[:MAX_POSTS]
    if not wanted:
        return {}
    rows = await db.fetch(
        f"""SELECT o.ap_id, coalesce(o.content, '') AS content, o.document ->> 'summary' AS summary,
                   a.username || '@' || a.domain AS author_handle
            FROM objects o JOIN actors a ON a.id = o.actor_id
            WHERE o.ap_id = ANY($1::text[]) AND {visible_to("o", "$2")}""",
        wanted,
        viewer_id,
    )
    return {str(r["ap_id"]): ReportedPost(**dict(r)) for r in rows}
