"""Query parameters of the public API, checked: a bad value is a 400 that says which."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from multidict import MultiMapping

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_RADIUS_M = 100_000.0
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
TAG_RE = re.compile(r"^\w{1,100}$")


class BadParameter(ValueError):
    """A query parameter the API cannot use; the message is safe to show."""


@dataclass(frozen=True)
class Cursor:
    """A keyset position: (time, id) for posts and events, a name for neighbourhoods."""

    moment: datetime | None
    row_id: int | None
    name: str | None = None


def encode_cursor(kind: str, moment: datetime | None, row_id: int | None, name: str | None = None) -> str:
    payload = [kind, moment.isoformat() if moment else None, row_id, name]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def decode_cursor(kind: str, value: str | None) -> Cursor | None:
    if not value:
        return None
    try:
        if len(value) > 400:
            raise ValueError("too long")
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        found_kind, moment, row_id, name = raw
        if found_kind != kind:
            raise ValueError("cursor of another list")
        parsed = datetime.fromisoformat(moment) if moment is not None else None
        if row_id is not None and not isinstance(row_id, int):
            raise ValueError("bad id")
        if name is not None and not isinstance(name, str):
            raise ValueError("bad name")
        if parsed is not None and parsed.tzinfo is None:
            raise ValueError("naive time")
        return Cursor(parsed, row_id, name)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise BadParameter("cursor is not valid: use next_cursor from a previous page") from None


def limit(query: MultiMapping[str]) -> int:
    value = query.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise BadParameter(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def moment(query: MultiMapping[str], name: str) -> datetime | None:
    """An RFC 3339 date-time (with offset) or a date (midnight UTC)."""
    value = query.get(name)
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(f"{name} must be a date (2025-06-14) or a date-time with offset") from None
    if parsed.tzinfo is None:
        raise BadParameter(f"{name} needs a UTC offset, e.g. 2025-06-14T12:00:00Z")
    return parsed


def matching(query: MultiMapping[str], name: str, pattern: re.Pattern[str]) -> str | None:
    value = query.get(name)
    if value is None:
        return None
    if not pattern.match(value):
        raise BadParameter(f"{name} is not valid")
    return value


def _floats(value: str, count: int, name: str) -> list[float]:
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise BadParameter(f"{name} must be {count} comma-separated numbers") from None
    if len(numbers) != count or any(n != n or n in (float("inf"), float("-inf")) for n in numbers):
        raise BadParameter(f"{name} must be {count} comma-separated numbers")
    return numbers


def _check_lat_lon(lat: float, lon: float, name: str) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadParameter(f"{name}: latitude must be within ±90 and longitude within ±180")


def bbox(query: MultiMapping[str]) -> tuple[float, float, float, float] | None:
    """bbox=min_lon,min_lat,max_lon,max_lat (GeoJSON order)."""
    value = query.get("bbox")
    if value is None:
        return None
    min_lon, min_lat, max_lon, max_lat = _floats(value, 4, "bbox")
    _check_lat_lon(min_lat, min_lon, "bbox")
    _check_lat_lon(max_lat, max_lon, "bbox")
    if min_lat > max_lat or min_lon > max_lon:
        raise BadParameter("bbox must be min_lon,min_lat,max_lon,max_lat")
    return min_lon, min_lat, max_lon, max_lat


def near(query: MultiMapping[str]) -> tuple[float, float, float] | None:
    """near=lat,lon with radius=metres (default 1000, at most 100 km)."""
    value = query.get("near")
    if value is None:
        if "radius" in query:
            raise BadParameter("radius needs near=lat,lon")
        return None
    lat, lon = _floats(value, 2, "near")
    _check_lat_lon(lat, lon, "near")
    radius = _floats(query.get("radius", "1000"), 1, "radius")[0]
    if not 0 < radius <= MAX_RADIUS_M:
        raise BadParameter(f"radius must be more than 0 and at most {int(MAX_RADIUS_M)} metres")
    return lat, lon, radius


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
