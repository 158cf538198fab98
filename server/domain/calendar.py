"""An iCalendar (RFC 5545) writer for public events.

Events come in as `EventView`s (a read model the events storage fills); the writer emits
VCALENDAR with one VTIMEZONE per zone used (its transitions computed from the system's
zoneinfo for the years the events span), VEVENTs with stable UIDs (the event's
ActivityPub id), STATUS, LOCATION and GEO. Text is escaped per §3.3.11, lines are folded
at 75 octets without splitting a UTF-8 character (§3.1), and every line ends in CRLF.
The output depends only on the events, so equal data gives equal bytes (and ETags).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CONTENT_TYPE = "text/calendar; charset=utf-8"
LINE_OCTETS = 75
STATUSES = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}


@dataclass(frozen=True)
class EventView:
    """What a calendar shows of one public event."""

    uid: str  # stable: the event's ActivityPub id
    url: str
    title: str
    description: str  # plain text
    starts_at: datetime  # timezone-aware
    ends_at: datetime | None
    timezone: str  # IANA name, e.g. Europe/Amsterdam
    status: str  # scheduled | cancelled | postponed
    location_name: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    online_url: str | None = None
    organiser_name: str = ""
    organiser_url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sequence: int = 0
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class CalendarMeta:
    name: str
    description: str
    product: str  # PRODID, e.g. "-//Buurtplein//Buurtplein 0.1//NL"
    refresh: timedelta = timedelta(hours=1)


def escape_text(value: str) -> str:
    """TEXT value escaping (§3.3.11); CR and CRLF become an escaped newline."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return "".join(ch for ch in value if ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F))


def escape_param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted value cannot hold."""
    cleaned = "".join(ch for ch in value if ch not in '"\r\n' and (ord(ch) >= 0x20 or ch == "\t"))
    return f'"{cleaned}"'


def fold_line(line: str) -> str:
    """Fold to at most 75 octets per physical line, breaking between characters."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # continuation lines start with a space
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _uri(value: str) -> str:
    """A URI value: no whitespace or control characters can end the line early."""
    return "".join(ch for ch in value if ord(ch) > 0x20 and ord(ch) != 0x7F)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _zone(name: str) -> ZoneInfo | None:
    if not name or name.upper() == "UTC":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset(delta: timedelta | None) -> str:
    seconds = int((delta or timedelta()).total_seconds())
    sign = "+" if seconds >= 0 else "-"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[datetime]:
    """UTC instants (to the minute) where the zone's UTC offset changes."""
    found: list[datetime] = []
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(days=1)
    while moment < end:
        nxt = moment + step
        if moment.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            low, high = moment, nxt
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(high.replace(second=0, microsecond=0))
        moment = nxt
    return found


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> tuple[str, ...]:
    """VTIMEZONE lines for `tzid` covering the given years (observances listed explicitly)."""
    zone = ZoneInfo(tzid)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    changes = _transitions(zone, first_year, last_year)
    if not changes:
        start = datetime(first_year, 1, 1, tzinfo=UTC).astimezone(zone)
        offset = _offset(start.utcoffset())
        name = start.tzname() or tzid
        return (
            *lines,
            "BEGIN:STANDARD",
            f"DTSTART:{start.replace(tzinfo=None).strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{offset}",
            f"TZOFFSETTO:{offset}",
            f"TZNAME:{escape_text(name)}",
            "END:STANDARD",
            "END:VTIMEZONE",
        )
    for change in changes:
        before = (change - timedelta(seconds=1)).astimezone(zone)
        after = change.astimezone(zone)
        kind = "DAYLIGHT" if after.dst() else "STANDARD"
        onset = (change + (before.utcoffset() or timedelta())).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{onset.strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{_offset(before.utcoffset())}",
            f"TZOFFSETTO:{_offset(after.utcoffset())}",
            f"TZNAME:{escape_text(after.tzname() or tzid)}",
            f"END:{kind}",
        ]
    return (*lines, "END:VTIMEZONE")


def _when(name: str, moment: datetime, zone: ZoneInfo | None) -> str:
    if zone is None:
        return f"{name}:{_utc(moment)}"
    local = moment.astimezone(zone).replace(tzinfo=None)
    return f"{name};TZID={zone.key}:{local.strftime('%Y%m%dT%H%M%S')}"


def _location(event: EventView) -> str:
    parts = [p for p in (event.location_name, event.address) if p]
    if not parts and event.online_url:
        parts = [event.online_url]
    return ", ".join(parts)


def event_lines(event: EventView, fallback_stamp: datetime) -> list[str]:
    zone = _zone(event.timezone)
    stamp = event.updated_at or event.created_at or fallback_stamp
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{_utc(stamp)}",
        _when("DTSTART", event.starts_at, zone),
    ]
    if event.ends_at is not None and event.ends_at > event.starts_at:
        lines.append(_when("DTEND", event.ends_at, zone))
    lines.append(f"SUMMARY:{escape_text(event.title)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    location = _location(event)
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if event.latitude is not None and event.longitude is not None:
        lines.append(f"GEO:{event.latitude:.6f};{event.longitude:.6f}")
    lines.append(f"STATUS:{STATUSES.get(event.status, 'CONFIRMED')}")
    lines.append(f"SEQUENCE:{max(0, event.sequence)}")
    lines.append(f"URL:{_uri(event.url)}")
    if event.organiser_url:
        cn = f";CN={escape_param(event.organiser_name)}" if event.organiser_name else ""
        lines.append(f"ORGANIZER{cn}:{_uri(event.organiser_url)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    if event.created_at is not None:
        lines.append(f"CREATED:{_utc(event.created_at)}")
    if event.updated_at is not None:
        lines.append(f"LAST-MODIFIED:{_utc(event.updated_at)}")
    lines.append("CLASS:PUBLIC")
    lines.append("END:VEVENT")
    return lines


def _duration(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"PT{hours}H{minutes}M" if hours else f"PT{minutes}M"


def _zone_years(events: Iterable[EventView]) -> dict[str, tuple[int, int]]:
    years: dict[str, tuple[int, int]] = {}
    for event in events:
        zone = _zone(event.timezone)
        if zone is None:
            continue
        moments = [event.starts_at] + ([event.ends_at] if event.ends_at else [])
        first = min(m.astimezone(zone).year for m in moments) - 1
        last = max(m.astimezone(zone).year for m in moments)
        old = years.get(zone.key)
        years[zone.key] = (min(first, old[0]), max(last, old[1])) if old else (first, last)
    return years


def render_calendar(meta: CalendarMeta, events: Sequence[EventView], *, fallback_stamp: datetime) -> bytes:
    """The whole VCALENDAR as bytes (UTF-8, CRLF, folded)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{meta.product}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"NAME:{escape_text(meta.name)}",
        f"X-WR-CALNAME:{escape_text(meta.name)}",
    ]
    if meta.description:
        lines.append(f"DESCRIPTION:{escape_text(meta.description)}")
        lines.append(f"X-WR-CALDESC:{escape_text(meta.description)}")
    lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{_duration(meta.refresh)}")
    lines.append(f"X-PUBLISHED-TTL:{_duration(meta.refresh)}")
    for tzid, (first, last) in sorted(_zone_years(events).items()):
        lines.extend(vtimezone(tzid, first, last))
    for event in events:
        lines.extend(event_lines(event, fallback_stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) for line in lines).encode("utf-8")


def calendar_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
