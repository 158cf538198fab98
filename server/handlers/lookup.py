"""An event or poll of another server fetched by its URL (a resident searched for it) and
stored as if its author had sent it: the same ownership checks, storage and side effects as
an incoming `Create{Event}` or `Create{Question}`, through the handler registry.

The document comes from the SSRF-safe signed fetch (`RemoteActors.fetch_document`), whose
answer must carry the requested id on the answering origin; its owner (`attributedTo`,
or for a Mobilizon group event the member in `actor`) must be on the same origin and not
blocked. Anything else (a Note, an actor, a collection) is left alone."""

from __future__ import annotations

from typing import Any

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

LOOKED_UP = ("Event", "Question")
assert all(kind in CONTENT_TYPES for kind in LOOKED_UP)


def _sender_of(document: dict[str, Any]) -> str | None:
    """Who would have sent the Create: the `actor` of an event (Mobilizon names the member
    there and the group in `attributedTo`), else the author."""
    author = get_id(document.get("attributedTo"))
    actor = get_id(document.get("actor")) if document.get("type") == "Event" else None
    return actor or author


async def _stored_as_kind(pool: Pool, row: ObjectRow) -> bool:
    if row.type == "Event":
        return await event_store.event_by_ap_id(pool, row.ap_id) is not None
    return await poll_store.poll_by_ap_id(pool, row.ap_id) is not None


async def fetch_event_or_poll(
    pool: Pool, settings: Settings, keyring: KeyRing, remote: RemoteActors, url: str
) -> ObjectRow | None:
    """The event or poll at `url`, fetched from its server and stored; None when it is
    not one, cannot be fetched, or its owner is blocked. Known objects are not fetched
    again (the caller looks those up first)."""
    if Urls(settings).is_local(url):
        return None
    document = await remote.fetch_document(url)
    if document is None or get_id(document) != url or document.get("type") not in LOOKED_UP:
        return None
    sender_id = _sender_of(document)
    owners = {sender_id, get_id(document.get("attributedTo"))} - {None}
    if sender_id is None or not all(same_origin(url, owner) for owner in owners):
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
        "id": f"{url}#looked-up",
        "type": "Create",
        "actor": sender.ap_id,
        "object": document,
        "to": document.get("to") or [],
        "cc": document.get("cc") or [],
    }
    await dispatcher.dispatch(ctx, activity)  # stored, or Skipped with a logged reason
    row = await object_store.object_by_ap_id(pool, url)
    if row is None or row.deleted_at is not None or row.type not in LOOKED_UP:
        return None
    return row if await _stored_as_kind(pool, row) else None
