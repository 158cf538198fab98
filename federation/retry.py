"""When an outbound delivery is retried, and when it is given up.

Pure policy, no I/O: the delivery worker passes in the response status, the clock and a
random generator, and stores what comes back. Times are UTC; a naive datetime is taken
to be UTC already (as everywhere in the project).
"""

from __future__ import annotations

import email.utils
import enum
import random
from datetime import datetime, timedelta

from activitypub.signatures import Scheme, as_utc

__all__ = [
    "JITTER",
    "MAX_ATTEMPTS",
    "MAX_RETRY_AFTER",
    "SCHEDULE",
    "Outcome",
    "classify",
    "next_attempt",
    "parse_retry_after",
    "schedule_description",
]


class Outcome(enum.Enum):
    DONE = "done"  # delivered
    RETRY = "retry"  # try again later, per `next_attempt`
    RETRY_OTHER_SCHEME = "retry_other_scheme"  # sign with draft-cavage and resend now
    GONE = "gone"  # the remote actor is gone for good (410)
    PERMANENT = "permanent"  # the peer will not accept this; drop the delivery


# Waits before the 2nd, 3rd, ... attempt. Even with every step jittered down by
# JITTER the retries span more than two days (nominal 63 h 53 min 30 s, at least 51 h).
SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1  # the first attempt plus one per step: 15
JITTER = 0.2  # each step is scaled by a uniform factor in [1 - JITTER, 1 + JITTER]
MAX_RETRY_AFTER = timedelta(hours=6)  # a longer Retry-After is honoured only this far

# The scheme a peer is retried with when it rejects a signature in the first one.
_FALLBACK_SCHEMES: dict[Scheme, Scheme] = {"rfc9421": "cavage"}
# Far beyond any cap, small enough for timedelta and datetime arithmetic.
_LONGEST_SECONDS = 10 * 365 * 24 * 3600


def classify(
    status: int | None,
    *,
    error: str | None = None,
    scheme: Scheme | None = None,
    refused: bool = False,
) -> Outcome:
    """What to do after one delivery attempt answered `status`.

    `status` is None when no response came: a network error or timeout (`error` is its
    text, for the caller's log; it does not change the outcome), which is RETRY. When
    our own HTTP client `refused` to make the request (forbidden address or URL), the
    outcome is PERMANENT: trying again would be refused again.

    - 2xx: DONE.
    - 408, 429 and 5xx: RETRY.
    - 410: GONE, the actor or inbox has been deleted.
    - 401: the peer could not verify our signature. Signed with RFC 9421 (`scheme`),
      the usual reason is that the peer only knows draft-cavage, so the answer is
      RETRY_OTHER_SCHEME: the worker re-signs with draft-cavage and resends at once
      ("double-knocking"), and remembers the scheme for the host. Already on the
      fallback scheme (or `scheme` unknown), 401 is RETRY, not PERMANENT: a peer also
      answers 401 when it cannot fetch our actor's key at that moment (our server was
      briefly unreachable, its outbound fetch timed out), which Mastodon, for one,
      likewise retries. A peer that refuses us for good costs a bounded schedule.
    - 400 after an RFC 9421 signature: RETRY_OTHER_SCHEME too, since some servers
      answer a signature they cannot parse with 400 (Fedify double-knocks on it).
      Otherwise 400 is PERMANENT.
    - 3xx (deliveries never follow redirects), 403, 404 and every other 4xx, and
      anything outside 2xx-5xx: PERMANENT.
    """
    if refused:
        return Outcome.PERMANENT
    if status is None:
        return Outcome.RETRY
    if 200 <= status <= 299:
        return Outcome.DONE
    if status in (408, 429) or 500 <= status <= 599:
        return Outcome.RETRY
    if status == 410:
        return Outcome.GONE
    if status in (400, 401) and scheme in _FALLBACK_SCHEMES:
        return Outcome.RETRY_OTHER_SCHEME
    if status == 401:
        return Outcome.RETRY
    return Outcome.PERMANENT


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait a Retry-After header asks for, or None when absent or unreadable.

    Both forms of RFC 9110 §10.2.3 are read: delta-seconds (``120``) and an HTTP-date,
    which is taken relative to `now`. A wait in the past becomes zero.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return timedelta(seconds=min(int(text), _LONGEST_SECONDS))
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return timedelta(0)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    wait = as_utc(when) - as_utc(now)
    return max(wait, timedelta(0))


def next_attempt(
    attempts: int,
    now: datetime,
    *,
    retry_after: timedelta | None,
    rng: random.Random,
) -> datetime | None:
    """When to make the next attempt after `attempts` attempts (>= 1) all failed.

    The wait is ``SCHEDULE[attempts - 1]`` scaled by a random factor in ±JITTER, so
    deliveries that failed together do not come back together. A Retry-After from the
    peer is honoured as a lower bound, but only up to MAX_RETRY_AFTER. None once
    MAX_ATTEMPTS attempts have been made: the delivery is given up.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if attempts > len(SCHEDULE):
        return None
    step = SCHEDULE[attempts - 1]
    wait = step * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        wait = max(wait, min(max(retry_after, timedelta(0)), MAX_RETRY_AFTER))
    return as_utc(now) + wait


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes else "",
        f"{secs} s" if secs else "",
    ]
    return " ".join(p for p in parts if p) or "0 s"


def schedule_description() -> str:
    """The retry schedule in words, for the documentation."""
    total = sum(SCHEDULE, timedelta(0))
    steps = ", ".join(_duration(step) for step in SCHEDULE)
    percent = round(JITTER * 100)
    return (
        f"A failed delivery is retried after {steps} "
        f"({MAX_ATTEMPTS} attempts in all, the last about {_duration(total)} after the "
        f"first), each wait varied at random by up to ±{percent} %. A Retry-After "
        f"header is honoured as a minimum wait, up to {_duration(MAX_RETRY_AFTER)}. "
        f"After the last attempt the delivery is given up."
    )
