"""A post, event or poll of another server fetched by its URL (a resident searched for it)
and stored as if its author had sent it: the same ownership checks, storage and side effects
as an incoming `Create{Note}` (or Article, Page, Event, Question), through the handler
registry.

The document comes from the SSRF-safe signed fetch (`RemoteActors.fetch_document`), whose
answer must carry an id on the answering origin. A URL that is not the object's id (a
post's page such as https://server.example/@name/123) is followed to that id, and the
object is fetched again from there: only what the server at the object's origin says
counts. Its owner (`attributedTo`, or for a Mobilizon group event the member in `actor`)
must be on the same origin and not blocked. A post (Note, Article, Page) is taken in only
when it is public or unlisted. Anything else (an actor, a collection) is left alone.

A page URL followed to an id is remembered (`PAGE_IDS`: in memory, per process, at most
`PAGE_IDS_MAX` URLs for `PAGE_IDS_TTL_SECONDS` each, the least recently used forgotten
first), so that searching the same page again finds the stored object without fetching
the page; after a restart, or an hour later, the page is fetched once more."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from activitypub.audience import Visibility, classify
from activitypub.jsonld import get_id
from server.config import Settings
from server.handlers.content import CONTENT_TYPES
from server.handlers.context import HandlerContext, dispatcher
from server.handlers.origins import same_origin
from server.keyring import KeyRing
from server.remote import RemoteActors, utcnow
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from server.storage.objects import ObjectRow
from server.storage.pool import Pool
from server.urls import Urls

PAGE_IDS_MAX = 2000
PAGE_IDS_TTL_SECONDS = 3600.0
POSTS = ("Note", "Article", "Page")
LOOKED_UP = ("Event", "Question", *POSTS)
OPEN_VISIBILITIES = (Visibility.PUBLIC, Visibility.UNLISTED)
assert all(kind in CONTENT_TYPES for kind in LOOKED_UP)


class PageIds:
    """Page URL -> object id, learned by following pages to ids: bounded in size (the
    least recently used goes first) and in time (an entry is good for `ttl` seconds).
    Keyed by our own base URL too, so instances sharing a process never share answers."""

    def __init__(
        self,
        max_size: int = PAGE_IDS_MAX,
        ttl: float = PAGE_IDS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._max_size = max_size
        self._ttl = ttl
        self._clock = clock

    def get(self, settings: Settings, page_url: str) -> str | None:
        key = (settings.base_url, page_url)
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock() - found[1] > self._ttl:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return found[0]

    def remember(self, settings: Settings, page_url: str, object_id: str) -> None:
        key = (settings.base_url, page_url)
        self._entries[key] = (object_id, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


PAGE_IDS = PageIds()


def remembered_id(settings: Settings, url: str) -> str:
    """The object id a page URL was last followed to (while remembered), else `url`."""
    return PAGE_IDS.get(settings, url) or url


def _sender_of(document: dict[str, Any]) -> str | None:
    """Who would have sent the Create: the `actor` of an event (Mobilizon names the member
    there and the group in `attributedTo`), else the author."""
    author = get_id(document.get("attributedTo"))
    actor = get_id(document.get("actor")) if document.get("type") == "Event" else None
    return actor or author


async def _stored_as_kind(pool: Pool, row: ObjectRow) -> bool:
    if row.type == "Event":
        return await event_store.event_by_ap_id(pool, row.ap_id) is not None
    if row.type == "Question":
        return await poll_store.poll_by_ap_id(pool, row.ap_id) is not None
    return row.type in POSTS


async def _document_at(settings: Settings, remote: RemoteActors, url: str) -> dict[str, Any] | None:
    """The object document `url` names, as its own id serves it: a page URL whose AS2
    answer carries another id is fetched again from that id, which must answer with it
    (and the page's id is remembered; a remembered page is not fetched again)."""
    remembered = PAGE_IDS.get(settings, url)
    document = await remote.fetch_document(remembered or url)
    object_id = get_id(document) if document is not None else None
    if document is None or object_id is None:
        return None
    if remembered is not None:
        return document if object_id == remembered else None
    if object_id != url:
        document = await remote.fetch_document(object_id)
        if document is None or get_id(document) != object_id:
            return None
        PAGE_IDS.remember(settings, url, object_id)
    return document


def _taken_in(document: dict[str, Any]) -> bool:
    """A kind we look up; a post only when public or unlisted."""
    kind = document.get("type")
    if kind not in LOOKED_UP:
        return False
    return kind not in POSTS or classify(document, None) in OPEN_VISIBILITIES


async def _known(pool: Pool, ap_id: str) -> ObjectRow | None:
    row = await object_store.object_by_ap_id(pool, ap_id)
    if row is None or row.deleted_at is not None or row.type not in LOOKED_UP:
        return None
    return row if await _stored_as_kind(pool, row) else None


async def fetch_remote_object(
    pool: Pool, settings: Settings, keyring: KeyRing, remote: RemoteActors, url: str
) -> ObjectRow | None:
    """The post, event or poll at `url`, fetched from its server and stored (or already
    stored under its id); None when it is not one we take in, cannot be fetched, or its
    owner is blocked. Objects known under `url`, or under the id a remembered page URL was
    followed to, are not fetched again (the caller looks those up first: `remembered_id`)."""
    if Urls(settings).is_local(url):
        return None
    remembered = PAGE_IDS.get(settings, url)
    if remembered is not None and (stored := await _known(pool, remembered)) is not None:
        return stored  # a page followed before, to an object stored here: nothing fetched
    document = await _document_at(settings, remote, url)
    if document is None or not _taken_in(document):
        return None
    object_id = str(get_id(document))
    if Urls(settings).is_local(object_id):
        return None
    if (known := await object_store.object_by_ap_id(pool, object_id)) is not None:
        return await _known(pool, known.ap_id)  # stored once: never a second copy
    sender_id = _sender_of(document)
    owners = {sender_id, get_id(document.get("attributedTo"))} - {None}
    if sender_id is None or not all(same_origin(object_id, owner) for owner in owners):
        return None
    for owner in owners:
        if owner is not None and await remote.is_blocked(owner):
            return None
    sender = await remote.actor(sender_id)
    if sender is None or sender.is_local or sender.gone_at is not None:
        return None
    ctx = HandlerContext(
        pool=pool,
        settings=settings,
        remote=remote,
        keyring=keyring,
        http=remote.http,
        sender=sender,
        recipient_id=None,
        clock=utcnow,
    )
    activity = {
        "id": f"{object_id}#looked-up",
        "type": "Create",
        "actor": sender.ap_id,
        "object": document,
        "to": document.get("to") or [],
        "cc": document.get("cc") or [],
    }
    await dispatcher.dispatch(ctx, activity)  # stored, or Skipped with a logged reason
    return await _known(pool, object_id)
