"""Tolerant accessors for compacted JSON-LD values as real servers send them.

A property may hold a string, an object, a list of either, or null; these helpers
give one shape to the rest of the code. No expansion is done here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LANG_MAPS = {"content": "contentMap", "name": "nameMap", "summary": "summaryMap"}


def as_list(value: Any) -> list[Any]:
    """None → [], a list → itself (copied), anything else → [value]."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def first(value: Any) -> Any:
    """The first element of a list (None if empty), or the value itself."""
    items = as_list(value)
    return items[0] if items else None


def get_id(value: Any) -> str | None:
    """A string as is, or an object's `id` (else its `href`, for Links)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        for key in ("id", "@id", "href"):
            found = value.get(key)
            if isinstance(found, str) and found:
                return found
    return None


def ids(value: Any) -> list[str]:
    """The ids of every element of `value` (strings or objects), in order."""
    return [i for i in (get_id(v) for v in as_list(value)) if i is not None]


def language_map_value(obj: Mapping[str, Any], key: str, lang: str | None = None) -> str | None:
    """Read `content`, `name` or `summary`, falling back on the `...Map` form.

    With `lang`, the map entry for that language (or its primary subtag) wins;
    otherwise the plain property, then the first map entry.
    """
    plain = first(obj.get(key))
    raw_map = obj.get(_LANG_MAPS.get(key, key + "Map"))
    lang_map = {
        k: v for k, v in (raw_map.items() if isinstance(raw_map, Mapping) else ())
        if isinstance(k, str) and isinstance(v, str)
    }  # fmt: skip
    if lang:
        wanted = lang.lower()
        for tag, text in lang_map.items():
            if tag.lower() == wanted or tag.lower().split("-")[0] == wanted.split("-")[0]:
                return text
    if isinstance(plain, str):
        return plain
    return next(iter(lang_map.values()), None)


def origin_of(url: str) -> str:
    """`scheme://host[:port]`, lower-cased, default port dropped; "" if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if not scheme or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def same_origin(a: str, b: str) -> bool:
    """True if both are URLs with the same scheme, host and port."""
    origin = origin_of(a)
    return bool(origin) and origin == origin_of(b)


def format_datetime(moment: datetime) -> str:
    """xsd:dateTime in UTC with second precision, e.g. `2024-05-03T12:32:29Z`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: Any) -> datetime | None:
    """Parse an xsd:dateTime leniently (Z or offset, fractional seconds); None if unusable.

    A value without an offset is taken as UTC.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 64:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, tail = text.partition(".")
    if dot:  # Python wants at most 6 fractional digits
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
