"""The iCal bridge: a neighbourhood imports an organisation's external .ics calendar.

Each sync fetches the URL through `federation.http.HttpClient` (private addresses refused
at connect time on every redirect hop, body size and total time capped), parses it
(server/domain/ical_parse.py) and publishes the differences as the neighbourhood's own
federated Events: new occurrences are created, changed ones updated (an older SEQUENCE
never overwrites a newer one), cancelled ones — and future ones that vanished from the
source — cancelled. The source is named in each event's description.

A sync that cannot fetch or read the calendar changes nothing but the source's status
(`refused`, `too_large`, `timeout`, `http_error`, `malformed`, `failed`), which the
neighbourhood's calendars page (server/routes/pages_calendar_sources.py) shows; the next
attempt comes after the usual interval.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from federation.http import HttpClient, HttpLimits, RequestError, RequestFailed, RequestRefused, ResponseTooLarge
from server.config import Settings
from server.domain import events as event_domain
from server.domain.events import AlsoOnCreate, AlsoOnUpdate
from server.domain.federation_context import Federating
from server.domain.ical_parse import MalformedCalendar, Occurrence, TooManyEvents, parse_calendar
from server.storage import actors as actor_store
from server.storage import calendar_sources as source_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.calendar_sources import CalendarSourceRow, ImportedItem
from server.storage.objects import ObjectRow
from server.storage.pool import Connection

log = logging.getLogger(__name__)
ACCEPT = "text/calendar, text/plain;q=0.5"
LEASE_SECONDS = 300


@dataclass(frozen=True)
class SyncResult:
    status: str
    error: str | None = None
    created: int = 0
    updated: int = 0
    cancelled: int = 0


class SyncStopped(Exception):
    def __init__(self, status: str, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def bridge_limits(settings: Settings) -> HttpLimits:
    return HttpLimits(
        connect_timeout=settings.connect_timeout_seconds,
        total_timeout=settings.calendar_fetch_timeout_seconds,
        max_response_bytes=settings.calendar_fetch_max_bytes,
        per_host_concurrency=2,
    )


def bridge_client(settings: Settings) -> HttpClient:
    """The bridge's own client (its caps differ from federation's); use with `async with`."""
    return HttpClient(settings.base_url, limits=bridge_limits(settings), allowed=settings.allowed_private_networks)


MAX_URL = 2000
MAX_SOURCE_NAME = 200
MAX_SOURCES = 20  # per neighbourhood


class InvalidCalendarUrl(ValueError):
    """The text is not an address the bridge can fetch (the message says why)."""


def calendar_url(text: str) -> str:
    """The http(s) address of a calendar as an organiser typed or pasted it: `webcal://`
    (as calendar sites link it) becomes `https://`; anything without a host, with spaces
    or other schemes is refused. Whether the host may be reached is decided at fetch time
    (private and reserved addresses never are, also after a redirect)."""
    url = text.strip()
    if url.lower().startswith(("webcal://", "webcals://")):
        url = "https://" + url.split("://", 1)[1]
    if len(url) > MAX_URL:
        raise InvalidCalendarUrl("the address is too long")
    if any(c.isspace() for c in url):
        raise InvalidCalendarUrl("the address has spaces in it")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise InvalidCalendarUrl("not a valid address") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidCalendarUrl("the calendar address must be an http(s) or webcal address")
    return url


async def add_calendar_source(fed: Federating, neighbourhood: ActorRow, url: str, name: str) -> CalendarSourceRow:
    """Import `url` into the neighbourhood (again, if it was removed: with what it had
    imported, so nothing is published twice); the first sync comes with the next pass."""
    if neighbourhood.kind != "Group" or not neighbourhood.is_local:
        raise ValueError("only a local neighbourhood imports calendars")
    return await source_store.add_source(fed.pool, neighbourhood.id, calendar_url(url), name.strip()[:MAX_SOURCE_NAME])


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: unchanged since the last sync (304)
    etag: str | None
    last_modified: str | None


async def _fetch(http: HttpClient, source: CalendarSourceRow) -> Fetched:
    """The calendar body and its validators."""
    headers = {"Accept": ACCEPT}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        response = await http.get(source.url, headers)
    except RequestRefused as exc:
        raise SyncStopped("refused", f"fetch refused: {exc.reason}") from None
    except ResponseTooLarge as exc:
        raise SyncStopped("too_large", exc.reason) from None
    except RequestFailed as exc:
        status = "timeout" if "timed out" in exc.reason else "failed"
        raise SyncStopped(status, exc.reason) from None
    except RequestError as exc:
        raise SyncStopped("failed", exc.reason) from None
    if response.status == 304:
        return Fetched(None, source.etag, source.last_modified)
    if not 200 <= response.status < 300:
        raise SyncStopped("http_error", f"the calendar server answered {response.status}")
    etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
    return Fetched(response.body, etag[:200] if etag else None, modified[:100] if modified else None)


def _description(occurrence: Occurrence, source: CalendarSourceRow) -> str:
    text = html.escape(occurrence.description).replace("\n", "<br>")
    name = html.escape(source.source_name or source.url)
    link = html.escape(occurrence.url or source.url)
    return (
        f'<p>{text}</p><p>Bron: <a href="{link}">{name}</a></p>'
        if text
        else f'<p>Bron: <a href="{link}">{name}</a></p>'
    )


def _record_new(source_id: int, item: ImportedItem) -> AlsoOnCreate:
    """Records a new event's source item in the transaction that creates the event: a
    process that dies in between leaves neither, so the next sync cannot publish it twice."""

    async def record(conn: Connection, row: ObjectRow) -> None:
        await source_store.save_item(conn, source_id, replace(item, object_ap_id=row.ap_id))

    return record


def _record(source_id: int, item: ImportedItem) -> AlsoOnUpdate:
    """Records an updated or cancelled item in the transaction that changes its event."""

    async def record(conn: Connection) -> None:
        await source_store.save_item(conn, source_id, item)

    return record


async def _apply(
    fed: Federating, group: ActorRow, source: CalendarSourceRow, occurrences: list[Occurrence], now: datetime
) -> SyncResult:
    known = await source_store.imported_items(fed.pool, source.id)
    created = updated = cancelled = 0
    seen: set[tuple[str, str]] = set()
    for occurrence in occurrences:
        key = (occurrence.uid, occurrence.recurrence_id)
        seen.add(key)
        item = known.get(key)
        digest = occurrence.content_hash()
        if item is None:
            if occurrence.cancelled:
                continue  # never published: nothing to cancel
            await event_domain.create_event(
                fed,
                group,
                occurrence.fields,
                _description(occurrence, source),
                also=_record_new(source.id, ImportedItem(*key, occurrence.sequence, digest, "", False)),
            )
            created += 1
        elif occurrence.sequence < item.sequence or digest == item.content_hash:
            continue  # older revision, or nothing changed
        else:
            await event_domain.update_event(
                fed,
                group,
                item.object_ap_id,
                occurrence.fields,
                _description(occurrence, source),
                tell_mastodon=not item.cancelled and occurrence.cancelled,
                also=_record(
                    source.id, ImportedItem(*key, occurrence.sequence, digest, item.object_ap_id, occurrence.cancelled)
                ),
            )
            cancelled += int(occurrence.cancelled and not item.cancelled)
            updated += int(not occurrence.cancelled)
    for key, item in known.items():
        if key in seen or item.cancelled:
            continue
        current = await event_domain.own_event(fed, group, item.object_ap_id)
        if current.fields.starts_at <= now:
            continue  # past events that dropped out of the source stay as they were
        await event_domain.update_event(
            fed,
            group,
            item.object_ap_id,
            replace(current.fields, status="cancelled"),
            also=_record(
                source.id,
                ImportedItem(item.uid, item.recurrence_id, item.sequence, "vanished", item.object_ap_id, True),
            ),
        )
        cancelled += 1
    return SyncResult("ok", None, created, updated, cancelled)


async def sync_source(
    fed: Federating, http: HttpClient, source: CalendarSourceRow, *, now: datetime | None = None
) -> SyncResult:
    """One sync of one source; the outcome is recorded on the source row."""
    settings = fed.settings
    now = now or datetime.now(UTC)
    interval = settings.calendar_sync_minutes * 60
    group = await actor_store.actor_by_id(fed.pool, source.neighbourhood_id)
    profile = await neighbourhood_store.neighbourhood_by_actor_id(fed.pool, source.neighbourhood_id)
    if group is None or profile is None:
        return SyncResult("failed", "the neighbourhood is gone")
    try:
        fetched = await _fetch(http, source)
        if fetched.body is None:
            await source_store.record_result(
                fed.pool,
                source.id,
                status="ok",
                error=None,
                next_sync_in_seconds=interval,
                etag=source.etag,
                last_modified=source.last_modified,
            )
            return SyncResult("ok")
        occurrences = parse_calendar(
            fetched.body,
            default_tz=profile.timezone,
            now=now,
            horizon=timedelta(days=settings.calendar_recurrence_days),
            max_events=settings.calendar_import_max_events,
        )
    except SyncStopped as stop:
        return await _stopped(fed, source, stop.status, stop.error, interval)
    except MalformedCalendar as exc:
        return await _stopped(fed, source, "malformed", str(exc), interval)
    except TooManyEvents as exc:
        return await _stopped(fed, source, "too_large", str(exc), interval)
    result = await _apply(fed, group, source, occurrences, now)
    await source_store.record_result(
        fed.pool,
        source.id,
        status="ok",
        error=None,
        next_sync_in_seconds=interval,
        event_count=len(occurrences),
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )
    return result


async def _stopped(fed: Federating, source: CalendarSourceRow, status: str, error: str, interval: int) -> SyncResult:
    log.info("calendar sync stopped", extra={"source": source.id, "status": status, "error": error})
    await source_store.record_result(
        fed.pool, source.id, status=status, error=error[:500], next_sync_in_seconds=interval
    )
    return SyncResult(status, error)


async def sync_due_sources(fed: Federating, http: HttpClient, *, limit: int = 20) -> list[SyncResult]:
    """Sync every source that is due (leased, so parallel workers do not sync one twice)."""
    results = []
    for source in await source_store.claim_due_sources(fed.pool, LEASE_SECONDS, limit):
        try:
            results.append(await sync_source(fed, http, source))
        except Exception as exc:  # one broken source must not stop the others
            log.exception("calendar sync failed", extra={"source": source.id})
            results.append(
                await _stopped(fed, source, "failed", type(exc).__name__, fed.settings.calendar_sync_minutes * 60)
            )
    return results
