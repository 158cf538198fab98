"""POST /inbox and /actors/{name}/inbox: read under a cap, hand to federation.inbox.receive."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from activitypub.request_signing import HttpRequestParts
from federation.inbox import Accepted, Ignored, InboxContext, InboxLimits, Rejected, receive
from federation.ports import ResolvedKey
from server.appkeys import METRICS, POOL, REMOTE, SETTINGS
from server.errors import json_error
from server.inbox_batch import InboxBatcher
from server.remote import RemoteActors, utcnow
from server.storage import actors as actor_store
from server.storage import inbox as inbox_store
from server.storage.pool import Pool, is_connection_error

log = logging.getLogger(__name__)
ACCEPTED_TYPES = ("application/activity+json", "application/ld+json", "application/json")


class WakeThrottle:
    """At most one worker wake-up (NOTIFY) per interval per process: under load the workers
    are busy anyway, and notifying commits cannot share a disk flush (group commit)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._last = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


WAKE_THROTTLE = web.AppKey("inbox_wake_throttle", WakeThrottle)
INBOX_BATCHER = web.AppKey("inbox_batcher", InboxBatcher)


class QueueStore:
    """federation.ports.InboxStore: commits the activity to the inbox queue."""

    def __init__(self, pool: Pool, recipient_id: int | None, throttle: WakeThrottle) -> None:
        self._pool = pool
        self._recipient_id = recipient_id
        self._throttle = throttle

    async def store(self, activity_id: str, actor: str, document: dict[str, object], recipient: str | None) -> bool:
        notify = self._throttle.due()
        return await inbox_store.store_item(self._pool, activity_id, actor, document, self._recipient_id, notify=notify)


class RememberedSenders:
    """federation.ports.FastIngest: keys from the remote-actor memory; the policy check and
    the insert in one statement, shared with the activities that arrive at the same time
    (server.inbox_batch)."""

    def __init__(self, remote: RemoteActors, batcher: InboxBatcher, recipient_id: int | None) -> None:
        self._remote = remote
        self._batcher = batcher
        self._recipient_id = recipient_id

    def remembered_key(self, key_id: str) -> ResolvedKey | None:
        return self._remote.remembered_key(key_id)

    async def store_unless_refused(
        self, activity_id: str, actor: str, document: dict[str, Any], recipient: str | None
    ) -> bool | None:
        host = (urlsplit(actor).hostname or "").lower()
        row = inbox_store.IncomingRow(activity_id, actor, document, self._recipient_id, host)
        return await self._batcher.store(row)


async def read_capped(request: web.Request, limit: int) -> bytes | None:
    """The body, or None when it exceeds `limit` (checked while reading, chunked too)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def request_parts(request: web.Request, base_url: str, body: bytes) -> HttpRequestParts:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return HttpRequestParts(method=request.method, url=base_url + request.path_qs, headers=headers, body=body)


async def inbox(request: web.Request) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    metrics = request.app[METRICS]
    pool = request.app[POOL]
    media = request.content_type.lower()
    if media not in ACCEPTED_TYPES:
        metrics.count_inbox("rejected", "content type")
        return json_error(415, "send application/activity+json")
    if request.headers.get("Content-Encoding", "identity").lower() != "identity":
        metrics.count_inbox("rejected", "compressed")
        return json_error(415, "compressed bodies are not accepted")
    body = await read_capped(request, settings.inbox_max_bytes)
    if body is None:
        metrics.count_inbox("rejected", "too large")
        return json_error(413, f"body larger than {settings.inbox_max_bytes} bytes")
    try:
        recipient_id = None
        if "name" in request.match_info:
            actor = await actor_store.local_actor(pool, request.match_info["name"])
            if actor is None:
                return json_error(404, "no such actor")
            recipient_id = actor.id
        ctx = InboxContext(
            local_origin=settings.base_url,
            keys=request.app[REMOTE],
            store=QueueStore(pool, recipient_id, request.app[WAKE_THROTTLE]),
            policy=request.app[REMOTE],
            fast=RememberedSenders(request.app[REMOTE], request.app[INBOX_BATCHER], recipient_id),
            limits=InboxLimits(
                max_depth=settings.json_max_depth,
                max_skew=timedelta(seconds=settings.signature_max_skew_seconds),
            ),
        )
        outcome = await receive(request_parts(request, settings.base_url, body), ctx, now=utcnow())
    except Exception as exc:
        if is_connection_error(exc):
            metrics.count_inbox("unavailable", "database")
            return json_error(503, "temporarily unavailable", headers={"Retry-After": "30"})
        raise
    if isinstance(outcome, Rejected):
        metrics.count_inbox("rejected", outcome.reason)
        log.info("inbox refused", extra={"status": outcome.status, "reason": outcome.reason})
        return json_error(outcome.status, outcome.reason)
    if isinstance(outcome, Ignored):
        metrics.count_inbox("ignored", outcome.reason)
    elif isinstance(outcome, Accepted):
        metrics.count_inbox("accepted", "duplicate" if outcome.duplicate else "new")
    return web.Response(status=202)


def setup(app: web.Application) -> None:
    app[WAKE_THROTTLE] = WakeThrottle()
    app[INBOX_BATCHER] = InboxBatcher(
        lambda: app[POOL],
        allowlist_only=app[SETTINGS].federation_allowlist_only,
        wake_due=app[WAKE_THROTTLE].due,
    )
    app.router.add_post("/inbox", inbox)
    app.router.add_post("/actors/{name}/inbox", inbox)
    app.router.add_post("/actor/inbox", inbox)
