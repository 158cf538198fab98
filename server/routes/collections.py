"""GET /actors/{name}/outbox, /followers, /following, /featured (and the same under /actor).

Each is an OrderedCollection with `totalItems` and `first`; pages are `?page=<cursor>`.
Cursors are keyset positions, never offsets, so a page stays the same page while items are
added: `first`, `next.<id>` (the rows after row <id> in reading order) and `prev.<id>` (the
rows just before it). The outbox
reads newest first (ids descending) and holds `Create`s of PUBLIC, not deleted objects
only — for a neighbourhood (Group) also the `Announce`s, as sent, of the public posts it
announced (members-only and removed ones never); followers/following read oldest first
(follow ids ascending) and list actor ids.
The page size is 50, or `settings.extra["collection_page_size"]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from activitypub.collections import build_ordered_collection, build_ordered_collection_page
from server.appkeys import POOL, SETTINGS
from server.config import Settings
from server.convert.to_as import create_for
from server.portability.featured import featured_items
from server.routes.authorized_fetch import as2_only
from server.routes.negotiation import activity_error, activity_response
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import group_federation as group_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from server.urls import INSTANCE_ACTOR_USERNAME, Urls

DEFAULT_PAGE_SIZE = 50
FIRST = "first"


@dataclass(frozen=True)
class Cursor:
    """`first`, or a keyset position: `forward` (ids past `key` in reading order) or not."""

    key: int | None
    forward: bool = True

    def encode(self) -> str:
        if self.key is None:
            return FIRST
        return f"{'next' if self.forward else 'prev'}.{self.key}"


def parse_cursor(text: str) -> Cursor | None:
    if text == FIRST:
        return Cursor(None)
    direction, _, number = text.partition(".")
    if direction not in ("next", "prev") or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return Cursor(int(number), forward=direction == "next")


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_key: int | None  # the last row's key when a next page exists
    prev_key: int | None  # the first row's key when a previous page exists


# fetch(pool, actor, limit, cursor) → rows with their keys, in reading order
Row = tuple[int, Any]
Fetcher = Callable[[Pool, ActorRow, int, Cursor], Awaitable[list[Row]]]


async def read_page(pool: Pool, actor: ActorRow, size: int, cursor: Cursor, fetch: Fetcher) -> Page:
    """One page; asks for one row more than `size` to learn whether the page has a neighbour
    in the direction it was read."""
    rows = await fetch(pool, actor, size + 1, cursor)
    more = len(rows) > size
    if cursor.forward:
        rows = rows[:size]
        has_next, has_prev = more, cursor.key is not None and bool(rows)
    else:
        rows = rows[-size:] if more else rows
        has_next, has_prev = bool(rows), more
    return Page(
        items=[item for _, item in rows],
        next_key=rows[-1][0] if has_next and rows else None,
        prev_key=rows[0][0] if has_prev and rows else None,
    )


async def fetch_outbox(pool: Pool, actor: ActorRow, limit: int, cursor: Cursor) -> list[Row]:
    if cursor.forward:
        objects = await object_store.outbox_page(pool, actor.id, limit, cursor.key)
    else:
        assert cursor.key is not None
        objects = await object_store.outbox_page_after(pool, actor.id, limit, cursor.key)
    own: list[Row] = [(o.id, create_for(o)) for o in objects]
    if actor.kind != "Group":
        return own
    if cursor.forward:
        announced = await group_store.announces_page(pool, actor.id, limit, cursor.key)
    else:
        assert cursor.key is not None
        announced = await group_store.announces_page_after(pool, actor.id, limit, cursor.key)
    merged = sorted([*own, *announced], key=lambda row: row[0], reverse=True)
    # both lists are keyed by post id: keep the `limit` rows nearest to the cursor
    return merged[:limit] if cursor.forward else merged[-limit:]


async def count_outbox(pool: Pool, actor_id: int) -> int:
    return await object_store.count_public(pool, actor_id) + await group_store.count_announces(pool, actor_id)


async def fetch_followers(pool: Pool, actor: ActorRow, limit: int, cursor: Cursor) -> list[Row]:
    if cursor.forward:
        return list(await follow_store.follower_ids(pool, actor.id, limit, cursor.key or 0))
    assert cursor.key is not None
    return list(await follow_store.follower_ids_before(pool, actor.id, limit, cursor.key))


async def fetch_following(pool: Pool, actor: ActorRow, limit: int, cursor: Cursor) -> list[Row]:
    if cursor.forward:
        return list(await follow_store.following_ids(pool, actor.id, limit, cursor.key or 0))
    assert cursor.key is not None
    return list(await follow_store.following_ids_before(pool, actor.id, limit, cursor.key))


Counter = Callable[[Pool, int], Awaitable[int]]
COLLECTIONS: dict[str, tuple[Fetcher, Counter]] = {
    "outbox": (fetch_outbox, count_outbox),
    "followers": (fetch_followers, follow_store.count_followers),
    "following": (fetch_following, follow_store.count_following),
}


def page_size(settings: Settings) -> int:
    value = settings.extra.get("collection_page_size", DEFAULT_PAGE_SIZE)
    return max(1, min(int(value), 200))


def collection_url(settings: Settings, username: str, kind: str) -> str:
    return f"{Urls(settings).actor(username)}/{kind}"


async def find_owner(request: web.Request) -> ActorRow | web.Response:
    username = request.match_info.get("name", INSTANCE_ACTOR_USERNAME)
    actor = await actor_store.local_actor(request.app[POOL], username)
    if actor is None:
        return activity_error(404, "no such actor")
    if actor.gone_at is not None:
        return activity_error(410, "this account is gone")
    return actor


def render_page(collection_id: str, cursor: Cursor, page: Page) -> dict[str, Any]:
    next_key, prev_key = page.next_key, page.prev_key
    return build_ordered_collection_page(
        collection_id,
        cursor.encode(),
        page.items,
        next_cursor=Cursor(next_key).encode() if next_key is not None else None,
        prev_cursor=Cursor(prev_key, forward=False).encode() if prev_key is not None else None,
    )


def make_handler(kind: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    fetch, count = COLLECTIONS[kind]

    @as2_only
    async def handler(request: web.Request) -> web.Response:
        settings, pool = request.app[SETTINGS], request.app[POOL]
        owner = await find_owner(request)
        if isinstance(owner, web.Response):
            return owner
        collection_id = collection_url(settings, owner.username, kind)
        raw_cursor = request.query.get("page")
        if raw_cursor is None:
            total = await count(pool, owner.id)
            return activity_response(build_ordered_collection(collection_id, total_items=total, first_cursor=FIRST))
        cursor = parse_cursor(raw_cursor)
        if cursor is None:
            return activity_error(400, "malformed page cursor")
        page = await read_page(pool, owner, page_size(settings), cursor, fetch)
        return activity_response(render_page(collection_id, cursor, page))

    handler.__name__ = f"{kind}_collection"
    return handler


@as2_only
async def featured(request: web.Request) -> web.Response:
    """Pinned posts, inline: a moved actor's public "we moved" notice (for servers that do
    not act on a Move); otherwise none."""
    owner = await find_owner(request)
    if isinstance(owner, web.Response):
        return owner
    settings = request.app[SETTINGS]
    items: Sequence[Any] = await featured_items(request.app[POOL], owner)
    return activity_response(
        build_ordered_collection(
            collection_url(settings, owner.username, "featured"),
            total_items=len(items),
            items=items,
        )
    )


def setup(app: web.Application) -> None:
    for kind in COLLECTIONS:
        handler = make_handler(kind)
        app.router.add_get(f"/actors/{{name}}/{kind}", handler)
        app.router.add_get(f"/actor/{kind}", handler)
    app.router.add_get("/actors/{name}/featured", featured)
