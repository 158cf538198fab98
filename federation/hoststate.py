"""Per-host delivery health: a circuit breaker and the "unavailable domain" mark.

Pure transitions on an immutable `HostState`; the delivery worker stores the state and
passes in the clock. Times are UTC; a naive datetime is taken to be UTC already.

Circuit breaker: after BREAKER_THRESHOLD consecutive failed deliveries the host is
paused, for PAUSES[0]. While paused nothing is sent to it; deliveries due meanwhile
are rescheduled to `paused_until`. Once the pause has passed (`probe_due`), the worker
lets ONE delivery through as a probe and holds the others back until it has answered.
A success closes the breaker; a failure pauses the host again, for the next, longer
step of PAUSES (the last step repeats). Failures reported while the host is paused come
from requests sent before the pause began: they do not lengthen the pause.

Unavailable: a host whose deliveries failed on UNAVAILABLE_DAYS distinct UTC days, with
no success in between, is marked unavailable, as Mastodon does. The worker may then
stop delivering to it at all; a success, such as an activity received from the host,
clears the mark.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from activitypub.signatures import as_utc

__all__ = [
    "BREAKER_THRESHOLD",
    "PAUSES",
    "UNAVAILABLE_DAYS",
    "HostState",
    "host_of",
    "is_paused",
    "is_unavailable",
    "on_failure",
    "on_success",
    "probe_due",
]

BREAKER_THRESHOLD = 5  # consecutive failures that pause a host
PAUSES: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),  # the cap: repeated for every further failed probe
)
UNAVAILABLE_DAYS = 7  # distinct failure days that make a host unavailable

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class HostState:
    host: str
    consecutive_failures: int = 0
    paused_until: datetime | None = None
    failure_days: tuple[date, ...] = ()  # distinct UTC days, oldest first, at most 7
    unavailable_since: datetime | None = None
    last_success_at: datetime | None = None


def on_success(state: HostState, now: datetime) -> HostState:
    """A delivery to the host worked: close the breaker and forget every failure."""
    return HostState(host=state.host, last_success_at=as_utc(now))


def on_failure(state: HostState, now: datetime) -> HostState:
    """A delivery to the host failed (RETRY outcome: no answer, 408, 429 or 5xx)."""
    now = as_utc(now)
    days = _record_day(state.failure_days, now.date())
    unavailable_since = state.unavailable_since
    if unavailable_since is None and len(days) >= UNAVAILABLE_DAYS:
        unavailable_since = now
    if is_paused(state, now):
        return replace(state, failure_days=days, unavailable_since=unavailable_since)
    failures = state.consecutive_failures + 1
    paused_until = state.paused_until
    if failures >= BREAKER_THRESHOLD:
        step = min(failures - BREAKER_THRESHOLD, len(PAUSES) - 1)
        paused_until = now + PAUSES[step]
    return replace(
        state,
        consecutive_failures=failures,
        paused_until=paused_until,
        failure_days=days,
        unavailable_since=unavailable_since,
    )


def is_paused(state: HostState, now: datetime) -> bool:
    """The breaker is open: send nothing, reschedule deliveries to `paused_until`."""
    return state.paused_until is not None and as_utc(now) < state.paused_until


def probe_due(state: HostState, now: datetime) -> bool:
    """The pause is over but the breaker is not closed yet: one probe delivery may go."""
    return state.paused_until is not None and as_utc(now) >= state.paused_until


def is_unavailable(state: HostState) -> bool:
    """Failures on UNAVAILABLE_DAYS distinct days and no success since."""
    return state.unavailable_since is not None


def host_of(url: str) -> str:
    """The key hosts are tracked under: lower-case host[:port], default port dropped.

    ``https://Example.COM:443/inbox`` and ``https://example.com./inbox`` are both
    ``example.com``. ValueError for a URL without a host or with a bad port.
    """
    split = urlsplit(url.strip())
    host = (split.hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if ":" in host:
        host = f"[{host}]"
    port = split.port  # ValueError when not a number in 0-65535
    if port is None or _DEFAULT_PORTS.get(split.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


def _record_day(days: tuple[date, ...], today: date) -> tuple[date, ...]:
    if today in days:
        return days
    return tuple(sorted((*days, today)))[-UNAVAILABLE_DAYS:]
