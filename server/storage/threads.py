"""Threads: a post with its ancestors (`inReplyTo` upwards) and its replies (downwards),
as far as the viewer may see each of them. Depth and size are bounded, and cycles in
hostile `inReplyTo` chains end the walk. Replies by actors on a *limited* domain are left
out for viewers who do not follow their author; the post itself and its ancestors never."""

from __future__ import annotations

from server.storage.actors import Db
from server.storage.objects import ObjectRow
from server.storage.visibility import limited_hidden_from, object_columns, visible_to

MAX_ANCESTORS = 50
MAX_DEPTH = 100
MAX_POSTS = 500

_THREAD = f"""
WITH RECURSIVE up (ap_id, in_reply_to, depth) AS (
    SELECT ap_id, in_reply_to, 0 FROM objects WHERE ap_id = $1
    UNION ALL
    SELECT o.ap_id, o.in_reply_to, up.depth + 1 FROM objects o JOIN up ON o.ap_id = up.in_reply_to
    WHERE up.depth < {MAX_ANCESTORS}
) CYCLE ap_id SET up_cycle USING up_path,
down (id, ap_id, depth) AS (
    SELECT id, ap_id, 0 FROM objects WHERE ap_id = $1
    UNION ALL
    SELECT o.id, o.ap_id, down.depth + 1 FROM objects o JOIN down ON o.in_reply_to = down.ap_id
    WHERE down.depth < {MAX_DEPTH}
) CYCLE id SET down_cycle USING down_path
SELECT {object_columns("o")} FROM objects o
WHERE (o.ap_id IN (SELECT ap_id FROM up)
       OR (o.id IN (SELECT id FROM down) AND NOT {limited_hidden_from("o", "$2")}))
  AND {visible_to("o", "$2")}
  AND EXISTS (SELECT 1 FROM objects focus WHERE focus.ap_id = $1 AND {visible_to("focus", "$2")})
ORDER BY o.published_at, o.id LIMIT {MAX_POSTS}
"""


async def thread_of(db: Db, ap_id: str, viewer_id: int | None) -> list[ObjectRow]:
    """The thread around `ap_id`, oldest first; empty when the viewer may not see it."""
    rows = await db.fetch(_THREAD, ap_id, viewer_id)
    return [ObjectRow(**dict(r)) for r in rows]


async def replies_to(db: Db, ap_id: str, viewer_id: int | None, *, limit: int = 100) -> list[ObjectRow]:
    """Direct replies to `ap_id` the viewer may see, oldest first."""
    rows = await db.fetch(
        f"""SELECT {object_columns("o")} FROM objects o
            WHERE o.in_reply_to = $1 AND {visible_to("o", "$2")} AND NOT {limited_hidden_from("o", "$2")}
            ORDER BY o.published_at, o.id LIMIT $3""",
        ap_id,
        viewer_id,
        max(1, min(limit, MAX_POSTS)),
    )
    return [ObjectRow(**dict(r)) for r in rows]
