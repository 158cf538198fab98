from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta

import pytest

from federation.hoststate import (
    BREAKER_THRESHOLD,
    PAUSES,
    UNAVAILABLE_DAYS,
    HostState,
    host_of,
    is_paused,
    is_unavailable,
    on_failure,
    on_success,
    probe_due,
)

T0 = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)


def fail_n(state: HostState, n: int, now: datetime) -> HostState:
    for _ in range(n):
        state = on_failure(state, now)
    return state


def test_a_new_host_is_healthy() -> None:
    state = HostState("a.example")
    assert state.consecutive_failures == 0
    assert not is_paused(state, T0)
    assert not probe_due(state, T0)
    assert not is_unavailable(state)


def test_state_is_immutable() -> None:
    state = HostState("a.example")
    with pytest.raises(FrozenInstanceError):
        state.consecutive_failures = 3  # type: ignore[misc]
    assert on_failure(state, T0) is not state
    assert state.consecutive_failures == 0


def test_breaker_stays_closed_below_the_threshold() -> None:
    assert BREAKER_THRESHOLD == 5
    state = fail_n(HostState("a.example"), BREAKER_THRESHOLD - 1, T0)
    assert state.consecutive_failures == 4
    assert state.paused_until is None
    assert not is_paused(state, T0)
    assert not probe_due(state, T0)


def test_breaker_opens_at_the_threshold() -> None:
    state = fail_n(HostState("a.example"), BREAKER_THRESHOLD, T0)
    assert state.consecutive_failures == 5
    assert state.paused_until == T0 + timedelta(minutes=1)
    assert is_paused(state, T0)
    assert is_paused(state, T0 + timedelta(seconds=59))
    assert not probe_due(state, T0 + timedelta(seconds=59))


def test_probe_is_due_once_the_pause_has_passed() -> None:
    state = fail_n(HostState("a.example"), BREAKER_THRESHOLD, T0)
    later = T0 + timedelta(minutes=1)
    assert not is_paused(state, later)
    assert probe_due(state, later)


def test_failures_while_paused_do_not_lengthen_the_pause() -> None:
    state = fail_n(HostState("a.example"), BREAKER_THRESHOLD, T0)
    stale = fail_n(state, 20, T0 + timedelta(seconds=10))  # in flight when it opened
    assert stale.paused_until == T0 + timedelta(minutes=1)
    assert stale.consecutive_failures == 5


def test_pause_grows_with_each_failed_probe_and_is_capped() -> None:
    assert [p.total_seconds() for p in PAUSES] == [60, 300, 900, 3600, 10800, 21600]
    state = HostState("a.example")
    now = T0
    state = fail_n(state, BREAKER_THRESHOLD - 1, now)
    pauses = []
    for _ in range(9):
        state = on_failure(state, now)  # the opening failure, then each failed probe
        assert state.paused_until is not None
        pauses.append(state.paused_until - now)
        now = state.paused_until
        assert probe_due(state, now)
    assert pauses == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=3),
        timedelta(hours=6),
        timedelta(hours=6),
        timedelta(hours=6),
        timedelta(hours=6),
    ]
    assert state.consecutive_failures == BREAKER_THRESHOLD + 8


def test_success_clears_everything() -> None:
    state = HostState("a.example")
    for day in range(UNAVAILABLE_DAYS):
        state = fail_n(state, BREAKER_THRESHOLD, T0 + timedelta(days=day))
    assert is_unavailable(state) and state.paused_until is not None
    done = T0 + timedelta(days=10)
    cleared = on_success(state, done)
    assert cleared == HostState("a.example", last_success_at=done)
    assert not is_paused(cleared, done)
    assert not probe_due(cleared, done)
    assert not is_unavailable(cleared)
    assert cleared.failure_days == ()


def test_failure_days_are_distinct_utc_days() -> None:
    state = HostState("a.example")
    state = on_failure(state, datetime(2025, 3, 14, 23, 30, tzinfo=UTC))
    state = on_failure(state, datetime(2025, 3, 14, 23, 59, tzinfo=UTC))
    # 00:30 in UTC+2 is still the 14th in UTC
    state = on_failure(state, datetime.fromisoformat("2025-03-15T00:30:00+02:00"))
    state = on_failure(state, datetime(2025, 3, 15, 0, 1, tzinfo=UTC))
    assert state.failure_days == (date(2025, 3, 14), date(2025, 3, 15))


def test_many_failures_on_one_day_do_not_make_a_host_unavailable() -> None:
    state = HostState("a.example")
    for minute in range(0, 24 * 60, 7):
        state = on_failure(state, T0.replace(hour=0) + timedelta(minutes=minute))
    assert state.failure_days == (date(2025, 3, 14),)
    assert not is_unavailable(state)


def test_unavailable_after_seven_distinct_days_not_before() -> None:
    assert UNAVAILABLE_DAYS == 7
    state = HostState("a.example")
    for day in range(6):
        state = fail_n(state, 3, T0 + timedelta(days=day * 2))  # gaps between days count too
    assert len(state.failure_days) == 6
    assert not is_unavailable(state)
    seventh = T0 + timedelta(days=12)
    state = on_failure(state, seventh)
    assert is_unavailable(state)
    assert state.unavailable_since == seventh
    state = on_failure(state, seventh + timedelta(days=1))
    assert state.unavailable_since == seventh  # stays the first moment
    assert len(state.failure_days) == 7
    assert state.failure_days[-1] == date(2025, 3, 27)
    assert state.failure_days[0] == date(2025, 3, 16)  # only the last 7 days kept


def test_a_success_in_between_restarts_the_day_count() -> None:
    state = HostState("a.example")
    for day in range(6):
        state = on_failure(state, T0 + timedelta(days=day))
    state = on_success(state, T0 + timedelta(days=6))
    state = on_failure(state, T0 + timedelta(days=7))
    assert state.failure_days == (date(2025, 3, 21),)
    assert not is_unavailable(state)


def test_a_later_success_clears_unavailable() -> None:
    state = HostState("a.example")
    for day in range(7):
        state = on_failure(state, T0 + timedelta(days=day))
    assert is_unavailable(state)
    state = on_success(state, T0 + timedelta(days=30))
    assert not is_unavailable(state)
    assert state.unavailable_since is None
    assert state.last_success_at == T0 + timedelta(days=30)


def test_naive_times_are_utc() -> None:
    state = fail_n(HostState("a.example"), BREAKER_THRESHOLD, T0.replace(tzinfo=None))
    assert state.paused_until == T0 + timedelta(minutes=1)
    assert is_paused(state, T0.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.COM/users/a/inbox", "example.com"),
        ("https://example.com:443/inbox", "example.com"),
        ("http://example.com:80/inbox", "example.com"),
        ("https://example.com:8443/inbox", "example.com:8443"),
        ("http://example.com:443/inbox", "example.com:443"),
        ("https://example.com./inbox", "example.com"),
        ("https://user@example.com/inbox", "example.com"),
        ("https://[2001:DB8::1]:8443/inbox", "[2001:db8::1]:8443"),
        ("https://[2001:db8::1]/inbox", "[2001:db8::1]"),
        ("https://192.0.2.1:443/", "192.0.2.1"),
    ],
)
def test_host_of(url: str, expected: str) -> None:
    assert host_of(url) == expected


@pytest.mark.parametrize("url", ["", "/inbox", "https:///inbox", "https://a.example:99999/"])
def test_host_of_rejects_urls_without_a_usable_host(url: str) -> None:
    with pytest.raises(ValueError):
        host_of(url)
