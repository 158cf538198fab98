"""What a local actor pins (its `featured` collection): after a move, the public "we moved"
notice it left behind (storage.portability.move_notice), so people on servers that do not
act on a Move still see where it went. Only a public, undeleted notice is ever listed."""

from __future__ import annotations

from typing import Any

from server.storage import objects as object_store
from server.storage import portability as store
from server.storage.actors import ActorRow, Db


async def featured_items(db: Db, owner: ActorRow) -> list[dict[str, Any]]:
    """The AS2 documents `owner` pins, newest first (inline collection items)."""
    if not owner.moved_to:
        return []
    notice_id = await store.move_notice(db, owner.ap_id)
    if notice_id is None:
        return []
    notice = await object_store.object_by_ap_id(db, notice_id)
    if notice is None or not _is_pinnable(notice, owner):
        return []
    document = dict(notice.document or {})
    document.pop("@context", None)
    return [document]


def _is_pinnable(notice: object_store.ObjectRow, owner: ActorRow) -> bool:
    return (
        notice.visibility == "public"
        and notice.deleted_at is None
        and notice.actor_id == owner.id
        and bool(notice.document)
    )
