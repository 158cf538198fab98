"""Token buckets in process memory, keyed by a string (an IP network, a signing key id).

A bucket holds up to `burst` tokens and refills at `per_minute / 60` tokens a second; a
request takes one token or is refused with the number of seconds until one is there.
Memory is bounded: at most `max_keys` buckets per limiter, the least recently used
dropped first. A dropped bucket only forgets a key, which then starts again full: the
bound can make a limit looser for a key unseen for a while, never stricter.

The limits hold per process; with several web processes each has its own buckets.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

Clock = Callable[[], float]
IPV6_PREFIX = 64  # one IPv6 subscriber usually holds a whole /64


@dataclass(frozen=True)
class Rate:
    """`per_minute` tokens a minute, at most `burst` at once; 0 per minute turns it off."""

    per_minute: float
    burst: int

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0 and self.burst > 0

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    """Buckets for one rate; `take(key)` is None when allowed, else the seconds to wait."""

    def __init__(self, rate: Rate, *, max_keys: int = 50_000, clock: Clock = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float | None:
        if not self.rate.enabled:
            return None
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.rate.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.updated_at)
            bucket.tokens = min(float(self.rate.burst), bucket.tokens + elapsed * self.rate.per_second)
            bucket.updated_at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.rate.per_second


def retry_after_header(wait_seconds: float) -> str:
    """Whole seconds, rounded up, at least 1 (RFC 9110 delta-seconds)."""
    return str(max(1, math.ceil(wait_seconds)))


@lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """The bucket key of a client address: the address itself, an IPv6 address its /64;
    anything unparsable (a Unix socket peer) is its own key."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))
    return str(ip)
