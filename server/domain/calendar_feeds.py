"""Calendars of public events: the instance's, a neighbourhood's, one event's, and a
resident's private "my events" feed behind a revocable token.

A token is 256 random bits (URL-safe base64); only its SHA-256 is stored, so the feed
URL cannot be recovered from the database, and a revoked token stops working at once.
Even the private feed shows public events only: it is a selection, not a wider view.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from server.config import Settings
from server.domain.calendar import CONTENT_TYPE, CalendarMeta, EventView, calendar_etag, render_calendar
from server.domain.feeds import RenderedFeed, plain_text
from server.storage import calendar_events as event_store
from server.storage import calendar_tokens as token_store
from server.storage.actors import Db
from server.storage.calendar_events import EventRow, EventScope, EventWindow
from server.storage.calendar_tokens import CalendarTokenRow

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
PAST_GRACE = timedelta(days=1)  # events that ended yesterday are still listed
DESCRIPTION_CHARS = 4000


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


async def issue_calendar_token(db: Db, actor_id: int, label: str = "") -> tuple[str, CalendarTokenRow]:
    """A new private feed token; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    row = await token_store.insert_token(db, actor_id, hash_token(token), label[:100])
    return token, row


async def revoke_calendar_token(db: Db, actor_id: int, token_id: int) -> bool:
    return await token_store.revoke_token(db, actor_id, token_id)


async def owner_of_token(db: Db, token: str) -> int | None:
    """The resident a token belongs to; None for a malformed, unknown or revoked token."""
    if not TOKEN_RE.match(token):
        return None
    return await token_store.actor_of_token(db, hash_token(token))


def event_view(row: EventRow) -> EventView:
    description = plain_text(row.content)
    if len(description) > DESCRIPTION_CHARS:
        description = description[: DESCRIPTION_CHARS - 1] + "…"
    return EventView(
        uid=row.ap_id,
        url=row.url,
        title=row.name or plain_text(row.content)[:80],
        description=description,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        timezone=row.timezone or "UTC",
        status=row.status,
        location_name=row.place_name or "",
        address=row.address,
        latitude=row.latitude,
        longitude=row.longitude,
        online_url=row.online_url,
        organiser_name=row.organiser_name,
        organiser_url=row.organiser_url,
        created_at=row.published_at,
        updated_at=row.updated_at or row.published_at,
        categories=row.tags,
    )


def product_id(settings: Settings) -> str:
    return f"-//Buurtplein//{settings.name} {settings.domain}//NL"


def render_events(meta: CalendarMeta, rows: Sequence[EventRow], fallback: datetime) -> RenderedFeed:
    body = render_calendar(meta, [event_view(r) for r in rows], fallback_stamp=fallback)
    changed = max(((r.updated_at or r.published_at) for r in rows), default=fallback)
    return RenderedFeed(
        body=body,
        content_type=CONTENT_TYPE,
        etag=calendar_etag(body),
        last_modified=changed.astimezone(UTC).replace(microsecond=0),
    )


def upcoming_window(now: datetime) -> EventWindow:
    """The events a calendar lists at `now`: those not ended before yesterday."""
    return EventWindow(ends_after=now - PAST_GRACE)


async def upcoming_calendar(
    db: Db, settings: Settings, scope: EventScope, meta: CalendarMeta, *, now: datetime, fallback: datetime
) -> RenderedFeed:
    """Upcoming (and yesterday's) public events in `scope`, soonest first, one query."""
    window = upcoming_window(now)
    rows = await event_store.public_events(db, scope, window, settings.calendar_max_events)
    return render_events(meta, rows, fallback)


async def single_event_calendar(
    db: Db, settings: Settings, ap_id: str, meta: CalendarMeta, *, fallback: datetime
) -> RenderedFeed | None:
    """One local public event, past or future; None when there is no such public event."""
    rows = await event_store.public_events(db, EventScope(ap_id=ap_id, local_only=True), EventWindow(), 1)
    return render_events(meta, rows, fallback) if rows else None
