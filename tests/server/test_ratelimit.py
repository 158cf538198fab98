"""Token buckets: bursts, refill, Retry-After, bounded memory, address keys."""

from __future__ import annotations

import pytest

from server.ratelimit import Rate, RateLimiter, client_key, retry_after_header


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_passes_then_the_next_request_waits_for_one_token() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_minute=60, burst=3), clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    wait = limiter.take("a")
    assert wait == pytest.approx(1.0)  # 60 a minute: one token a second
    assert limiter.take("b") is None  # another key has its own bucket


def test_tokens_refill_with_time_but_never_beyond_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_minute=60, burst=2), clock=clock)
    assert limiter.take("a") is None and limiter.take("a") is None
    assert limiter.take("a") is not None
    clock.now += 1.0
    assert limiter.take("a") is None
    clock.now += 3600
    assert [limiter.take("a") for _ in range(3)] == [None, None, pytest.approx(1.0)]


def test_refused_requests_do_not_dig_a_deeper_hole() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_minute=60, burst=1), clock=clock)
    limiter.take("a")
    for _ in range(100):
        assert limiter.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.take("a") is None


def test_memory_is_bounded_by_dropping_the_least_recently_used() -> None:
    clock = FakeClock()
    limiter = RateLimiter(Rate(per_minute=1, burst=1), max_keys=100, clock=clock)
    limiter.take("old")
    assert limiter.take("old") is not None
    for i in range(10_000):
        limiter.take(f"k{i}")
    assert len(limiter) == 100
    assert limiter.take("old") is None  # forgotten: looser, never stricter


def test_recently_used_keys_are_kept() -> None:
    limiter = RateLimiter(Rate(per_minute=1, burst=1), max_keys=2, clock=FakeClock())
    limiter.take("a")
    limiter.take("b")
    limiter.take("a")  # refused, but touched
    limiter.take("c")  # drops b
    assert limiter.take("a") is not None


def test_a_disabled_rate_never_refuses() -> None:
    limiter = RateLimiter(Rate(per_minute=0, burst=10), clock=FakeClock())
    assert all(limiter.take("a") is None for _ in range(1000))
    assert len(limiter) == 0


def test_max_keys_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(Rate(1, 1), max_keys=0)


@pytest.mark.parametrize(("wait", "header"), [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.9, "60")])
def test_retry_after_is_whole_seconds_rounded_up(wait: float, header: str) -> None:
    assert retry_after_header(wait) == header


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not an address", "not an address"),
        ("", ""),
    ],
)
def test_client_keys_group_an_ipv6_subscriber(address: str, key: str) -> None:
    assert client_key(address) == key
