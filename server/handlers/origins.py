"""Origins of URLs in incoming activities, compared without ever raising: a URL that cannot
be parsed (a port out of range, a broken IPv6 literal) shares no origin with anything, and an
activity naming such a URL where handlers look for ids is refused with a logged reason
before any handler runs (`CheckedDispatcher`).

`federation.authorise.origin` raises ValueError on such URLs; the inbox refuses them for the
activity's own id and actor, but handlers also compare ids of embedded objects, targets,
authors of fetched documents and inner activities of Announces. They use `same_origin` here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, TypeVar

from federation.authorise import activity_type, origin_or_none
from federation.dispatch import Dispatcher, Result, Skipped

log = logging.getLogger(__name__)
C = TypeVar("C")

# The members whose values handlers read as ids (and compare by origin).
ID_KEYS = ("id", "actor", "object", "target", "origin", "attributedTo", "inReplyTo", "audience", "instrument")
# How deep embedded objects are looked into (Announce{Create{Note}} is three levels).
MAX_DEPTH = 4
# How many values of one member are looked at (the parser caps containers at 1,000).
MAX_VALUES = 50


def origin_of(url: str | None) -> str | None:
    """scheme://host[:port] of `url`; None when there is no URL or it cannot be parsed."""
    if not url:
        return None
    found = origin_or_none(url)
    if found is None:
        log.info("unparsable URL treated as sharing no origin", extra={"url": url[:200]})
    return found


def same_origin(first: str | None, *others: str | None) -> bool:
    """Whether every URL parses and they all share one origin. An unparsable or missing URL
    shares no origin, not even with another unparsable one."""
    expected = origin_of(first)
    if expected is None or not others:
        return False
    return all(origin_of(other) == expected for other in others)


def _is_http(value: str) -> bool:
    return value[:8].lower().startswith(("https://", "http://"))


def _ids(value: Any, depth: int) -> Iterator[tuple[str, str]]:
    """(member path, URL) for every http(s) string that stands where an id is read."""
    if depth > MAX_DEPTH or not isinstance(value, dict):
        return
    for key in ID_KEYS:
        found = value.get(key)
        items = found[:MAX_VALUES] if isinstance(found, list) else [found]
        for item in items:
            if isinstance(item, str) and _is_http(item):
                yield key, item
            elif isinstance(item, dict) and key != "id":
                for path, url in _ids(item, depth + 1):
                    yield f"{key}.{path}", url


def malformed_id(activity: dict[str, Any]) -> tuple[str, str] | None:
    """The first (member path, URL) of an http(s) id that cannot be parsed, or None."""
    for path, url in _ids(activity, 0):
        if origin_or_none(url) is None:
            return path, url
    return None


class CheckedDispatcher(Dispatcher[C]):
    """A dispatcher that refuses an activity naming an unparsable URL as an id (logged,
    reported as Skipped) instead of letting a handler raise on it. Inner activities that
    handlers dispatch again (an Announce's) pass the same check."""

    async def dispatch(self, ctx: C, activity: dict[str, Any], obj_type: str | None = None) -> Result:
        bad = malformed_id(activity)
        if bad is not None:
            path, url = bad
            reason = f"malformed URL in {path}: {url[:200]}"
            log.warning(
                "activity refused: malformed URL",
                extra={"activity": str(activity.get("id"))[:200], "type": activity_type(activity), "reason": reason},
            )
            return Skipped(reason)
        return await super().dispatch(ctx, activity, obj_type)
