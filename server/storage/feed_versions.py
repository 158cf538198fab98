"""The cheap side of feed caching: one aggregate query per feed that says whether anything
in it changed (how many items, their latest change, and a sum of their ids), computed over
exactly the rows the feed itself reads (storage.feeds.post_conditions,
storage.calendar_events.event_conditions), so a 304 costs no rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.storage.actors import Db
from server.storage.calendar_events import EventScope, EventWindow, event_conditions
from server.storage.feeds import PostScope, post_conditions

_AGGREGATE = """count(*) AS items,
    max(greatest(o.published_at, o.updated_at, a.updated_at)) AS changed_at,
    coalesce(sum(o.id), 0) AS id_sum"""


@dataclass(frozen=True)
class FeedVersion:
    """What changes whenever a feed's content can: an item added, removed, edited, or its
    author's profile changed."""

    items: int
    changed_at: datetime | None
    id_sum: int


def _version(record: Any) -> FeedVersion:
    return FeedVersion(items=int(record["items"]), changed_at=record["changed_at"], id_sum=int(record["id_sum"]))


async def posts_version(db: Db, scope: PostScope) -> FeedVersion:
    params: list[Any] = []

    def arg(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    where = post_conditions(scope, arg)
    record = await db.fetchrow(
        f"""SELECT {_AGGREGATE} FROM objects o JOIN actors a ON a.id = o.actor_id
            WHERE {" AND ".join(where)}""",
        *params,
    )
    return _version(record)


async def events_version(db: Db, scope: EventScope, window: EventWindow) -> FeedVersion:
    params: list[Any] = []

    def arg(value: Any) -> str:
        params.append(value)
        return f"${len(params)}"

    where = event_conditions(scope, window, arg)
    record = await db.fetchrow(
        f"""SELECT {_AGGREGATE} FROM objects o JOIN events e ON e.object_id = o.id
            JOIN actors a ON a.id = o.actor_id
            WHERE {" AND ".join(where)}""",
        *params,
    )
    return _version(record)
