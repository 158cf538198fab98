"""Reading an external iCalendar file into event occurrences (for the iCal bridge).

Parsed with the `icalendar` package. Each VEVENT becomes one occurrence keyed by its UID
and RECURRENCE-ID ('' for a single event); an RRULE is expanded from now to the horizon
(EXDATEs skipped, RECURRENCE-ID overrides applied), never to more than `max_events`.
Floating and all-day times are read in the neighbourhood's time zone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil.rrule import rrulestr

from server.domain.feeds import plain_text
from server.storage.events import EventFields

MAX_TEXT = 5000


class MalformedCalendar(ValueError):
    """Not an iCalendar file we can read; the message says what is wrong."""


class TooManyEvents(ValueError):
    """More events than the configured limit."""


@dataclass(frozen=True)
class Occurrence:
    uid: str
    recurrence_id: str
    sequence: int
    fields: EventFields
    description: str
    url: str | None

    @property
    def cancelled(self) -> bool:
        return self.fields.status == "cancelled"

    def content_hash(self) -> str:
        data = {"fields": asdict(self.fields), "description": self.description, "url": self.url}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _aware(value: date | datetime, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime.combine(value, time(), tzinfo=zone)


def _zone_name(value: Any, fallback: str) -> str:
    tz = getattr(value, "tzinfo", None)
    key = getattr(tz, "key", None) or getattr(tz, "zone", None)
    return str(key) if key else fallback


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value)[:MAX_TEXT].strip() if value is not None else ""


def _geo(component: Any) -> tuple[float | None, float | None]:
    try:
        geo = component.decoded("GEO")
        lat, lon = float(geo[0]), float(geo[1])
    except (KeyError, ValueError, TypeError, IndexError):
        return None, None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None, None


def _status(component: Any) -> str:
    status = _text(component, "STATUS").upper()
    return {"CANCELLED": "cancelled", "TENTATIVE": "postponed"}.get(status, "scheduled")


def _base(component: Any, default_tz: str) -> tuple[EventFields, str, str | None]:
    zone = _zone(default_tz)
    try:
        start_raw = component.decoded("DTSTART")
    except KeyError:
        raise MalformedCalendar("an event has no DTSTART") from None
    start = _aware(start_raw, zone)
    end: datetime | None = None
    if "DTEND" in component:
        end = _aware(component.decoded("DTEND"), zone)
    elif "DURATION" in component:
        end = start + component.decoded("DURATION")
    if end is not None and end < start:
        end = None
    lat, lon = _geo(component)
    location = _text(component, "LOCATION")
    url = _text(component, "URL") or None
    fields = EventFields(
        name=_text(component, "SUMMARY")[:300] or "(zonder titel)",
        starts_at=start,
        ends_at=end,
        timezone=_zone_name(start_raw, default_tz),
        place_name=location[:300] or None,
        latitude=lat,
        longitude=lon,
        status=_status(component),
    )
    if url is not None and not url.startswith(("http://", "https://")):
        url = None
    return fields, plain_text(_text(component, "DESCRIPTION")), url


def _key(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _expand(component: Any, fields: EventFields, horizon_end: datetime, now: datetime, limit: int) -> list[datetime]:
    rule = component.get("RRULE")
    text = rule.to_ical().decode()
    try:
        rrule = rrulestr(text, dtstart=fields.starts_at, unfold=True)
    except (ValueError, TypeError) as exc:
        raise MalformedCalendar(f"cannot read RRULE {text!r}: {exc}") from None
    excluded = set()
    for exdate in (
        component.get("EXDATE", []) if isinstance(component.get("EXDATE"), list) else [component.get("EXDATE")]
    ):
        if exdate is not None:
            excluded |= {_key(_aware(d.dt, fields.starts_at.tzinfo or UTC)) for d in exdate.dts}
    moments = []
    # Bounded: stops at the horizon, or after `limit` kept moments (excluded ones are finite).
    for moment in rrule.xafter(now - timedelta(days=1), inc=True):
        if moment > horizon_end:
            break
        if _key(moment) not in excluded:
            moments.append(moment)
            if len(moments) > limit:
                raise TooManyEvents(f"a recurring event has more than {limit} occurrences")
    return moments


def parse_calendar(
    body: bytes, *, default_tz: str, now: datetime, horizon: timedelta, max_events: int
) -> list[Occurrence]:
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise MalformedCalendar(f"not an iCalendar file: {str(exc)[:200]}") from None
    if getattr(calendar, "name", "") != "VCALENDAR":
        raise MalformedCalendar("not an iCalendar file: no VCALENDAR")
    found: dict[tuple[str, str], Occurrence] = {}
    overrides: list[Occurrence] = []
    horizon_end = now + horizon
    for component in calendar.walk("VEVENT"):
        uid = _text(component, "UID")[:500]
        if not uid:
            continue  # without a UID an event cannot be kept apart from the others; skipped
        try:
            fields, description, url = _base(component, default_tz)
            sequence = int(component.get("SEQUENCE", 0))
        except (ValueError, TypeError) as exc:
            raise MalformedCalendar(f"event {uid[:80]!r}: {str(exc)[:200]}") from None
        if "RECURRENCE-ID" in component:
            recurrence = _key(_aware(component.decoded("RECURRENCE-ID"), fields.starts_at.tzinfo or UTC))
            overrides.append(Occurrence(uid, recurrence, sequence, fields, description, url))
        elif "RRULE" in component:
            duration = fields.ends_at - fields.starts_at if fields.ends_at else None
            for moment in _expand(component, fields, horizon_end, now, max_events):
                occurrence_fields = replace(fields, starts_at=moment, ends_at=moment + duration if duration else None)
                found[(uid, _key(moment))] = Occurrence(
                    uid, _key(moment), sequence, occurrence_fields, description, url
                )
        else:
            found[(uid, "")] = Occurrence(uid, "", sequence, fields, description, url)
        if len(found) > max_events:
            raise TooManyEvents(f"more than {max_events} events")
    for override in overrides:
        found[(override.uid, override.recurrence_id)] = override
    return list(found.values())
