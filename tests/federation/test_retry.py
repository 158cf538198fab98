from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from federation.retry import (
    JITTER,
    MAX_ATTEMPTS,
    MAX_RETRY_AFTER,
    SCHEDULE,
    Outcome,
    classify,
    next_attempt,
    parse_retry_after,
    schedule_description,
)

NOW = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)


# --- classify -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_done(status: int) -> None:
    assert classify(status) is Outcome.DONE
    assert classify(status, scheme="rfc9421") is Outcome.DONE


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_transient_statuses_are_retried(status: int) -> None:
    assert classify(status) is Outcome.RETRY
    assert classify(status, scheme="rfc9421") is Outcome.RETRY
    assert classify(status, scheme="cavage") is Outcome.RETRY


def test_no_response_is_retried() -> None:
    assert classify(None) is Outcome.RETRY
    assert classify(None, error="timed out") is Outcome.RETRY
    assert classify(None, error="cannot connect to a.example", scheme="rfc9421") is Outcome.RETRY


def test_a_request_our_client_refused_is_permanent() -> None:
    assert classify(None, error="forbidden address for a.example", refused=True) is (Outcome.PERMANENT)


def test_410_is_gone() -> None:
    assert classify(410) is Outcome.GONE
    assert classify(410, scheme="rfc9421") is Outcome.GONE


@pytest.mark.parametrize("status", [403, 404, 405, 409, 413, 415, 422, 451, 499])
def test_other_4xx_are_permanent(status: int) -> None:
    assert classify(status) is Outcome.PERMANENT
    assert classify(status, scheme="rfc9421") is Outcome.PERMANENT
    assert classify(status, scheme="cavage") is Outcome.PERMANENT


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304, 307, 308])
def test_redirects_are_permanent(status: int) -> None:
    assert classify(status) is Outcome.PERMANENT
    assert classify(status, scheme="rfc9421") is Outcome.PERMANENT


@pytest.mark.parametrize("status", [100, 101, 199, 600, 999])
def test_statuses_outside_2xx_to_5xx_are_permanent(status: int) -> None:
    assert classify(status) is Outcome.PERMANENT


def test_401_after_rfc9421_tries_the_other_scheme() -> None:
    assert classify(401, scheme="rfc9421") is Outcome.RETRY_OTHER_SCHEME


def test_401_on_the_fallback_scheme_is_retried_later() -> None:
    assert classify(401, scheme="cavage") is Outcome.RETRY
    assert classify(401) is Outcome.RETRY


def test_400_after_rfc9421_tries_the_other_scheme() -> None:
    assert classify(400, scheme="rfc9421") is Outcome.RETRY_OTHER_SCHEME


def test_400_otherwise_is_permanent() -> None:
    assert classify(400, scheme="cavage") is Outcome.PERMANENT
    assert classify(400) is Outcome.PERMANENT


# --- parse_retry_after ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", timedelta(0)),
        ("120", timedelta(seconds=120)),
        (" 3600 ", timedelta(hours=1)),
        ("86400", timedelta(days=1)),
        ("-5", timedelta(0)),
    ],
)
def test_retry_after_delta_seconds(value: str, expected: timedelta) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_retry_after_huge_delta_is_clamped_not_an_error() -> None:
    wait = parse_retry_after("9" * 40, NOW)
    assert wait is not None and wait > timedelta(days=365)


def test_retry_after_http_date() -> None:
    assert parse_retry_after("Fri, 14 Mar 2025 12:05:00 GMT", NOW) == timedelta(minutes=5)


def test_retry_after_http_date_relative_to_a_naive_utc_now() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_retry_after("Fri, 14 Mar 2025 13:00:00 GMT", naive) == timedelta(hours=1)


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    assert parse_retry_after("Fri, 14 Mar 2025 11:00:00 GMT", NOW) == timedelta(0)


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "1.5", "12abc", "٣", "Fri, 99 Foo 2025 25:61:00 GMT"])
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


# --- schedule -------------------------------------------------------------------------


def test_schedule_is_the_documented_one() -> None:
    assert [int(step.total_seconds()) for step in SCHEDULE] == [
        30,
        60,
        120,
        300,
        900,
        1800,
        3600,
        7200,
        14400,
        28800,
        43200,
        43200,
        43200,
        43200,
    ]
    assert MAX_ATTEMPTS == 15


def test_schedule_spans_two_days_even_with_all_jitter_down() -> None:
    total = sum(SCHEDULE, timedelta(0))
    assert total == timedelta(hours=63, minutes=53, seconds=30)
    assert total * (1 - JITTER) >= timedelta(hours=48)


def test_schedule_never_shrinks() -> None:
    assert all(a <= b for a, b in itertools.pairwise(SCHEDULE))


def test_schedule_description() -> None:
    text = schedule_description()
    assert text.startswith("A failed delivery is retried after 30 s, 1 min, 2 min, 5 min,")
    assert "12 h, 12 h, 12 h, 12 h (15 attempts in all" in text
    assert "63 h 53 min 30 s" in text
    assert "±20 %" in text
    assert "up to 6 h" in text


# --- next_attempt ---------------------------------------------------------------------


@pytest.mark.parametrize("attempts", range(1, MAX_ATTEMPTS))
def test_jitter_stays_within_twenty_percent(attempts: int) -> None:
    rng = random.Random(attempts)
    step = SCHEDULE[attempts - 1]
    waits = []
    for _ in range(200):
        when = next_attempt(attempts, NOW, retry_after=None, rng=rng)
        assert when is not None
        waits.append(when - NOW)
    assert min(waits) >= step * 0.8
    assert max(waits) <= step * 1.2
    assert len(set(waits)) > 100  # really jittered
    assert min(waits) < step * 0.9 and max(waits) > step * 1.1


def test_next_attempt_is_reproducible_with_a_seeded_rng() -> None:
    first = next_attempt(3, NOW, retry_after=None, rng=random.Random(42))
    again = next_attempt(3, NOW, retry_after=None, rng=random.Random(42))
    assert first == again
    factor = random.Random(42).uniform(0.8, 1.2)
    assert first == NOW + timedelta(minutes=2) * factor


def test_retry_after_is_a_lower_bound() -> None:
    when = next_attempt(1, NOW, retry_after=timedelta(minutes=10), rng=random.Random(1))
    assert when == NOW + timedelta(minutes=10)


def test_retry_after_shorter_than_the_step_does_not_shorten_it() -> None:
    rng_a, rng_b = random.Random(7), random.Random(7)
    with_header = next_attempt(9, NOW, retry_after=timedelta(seconds=5), rng=rng_a)
    without = next_attempt(9, NOW, retry_after=None, rng=rng_b)
    assert with_header == without
    assert with_header is not None and with_header - NOW >= timedelta(hours=4) * 0.8


def test_retry_after_of_a_day_is_capped_at_six_hours() -> None:
    when = next_attempt(1, NOW, retry_after=timedelta(seconds=86400), rng=random.Random(3))
    assert MAX_RETRY_AFTER == timedelta(hours=6)
    assert when == NOW + timedelta(hours=6)


def test_negative_retry_after_is_ignored() -> None:
    when = next_attempt(1, NOW, retry_after=timedelta(seconds=-60), rng=random.Random(5))
    assert when is not None
    assert timedelta(seconds=24) <= when - NOW <= timedelta(seconds=36)


def test_last_retry_is_scheduled_then_given_up() -> None:
    last = next_attempt(MAX_ATTEMPTS - 1, NOW, retry_after=None, rng=random.Random(0))
    assert last is not None
    assert timedelta(hours=12) * 0.8 <= last - NOW <= timedelta(hours=12) * 1.2
    assert next_attempt(MAX_ATTEMPTS, NOW, retry_after=None, rng=random.Random(0)) is None
    assert next_attempt(MAX_ATTEMPTS + 5, NOW, retry_after=None, rng=random.Random(0)) is None


def test_give_up_even_when_the_peer_sent_retry_after() -> None:
    when = next_attempt(MAX_ATTEMPTS, NOW, retry_after=timedelta(seconds=30), rng=random.Random())
    assert when is None


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError):
        next_attempt(0, NOW, retry_after=None, rng=random.Random(0))


def test_naive_now_is_utc() -> None:
    when = next_attempt(1, NOW.replace(tzinfo=None), retry_after=timedelta(minutes=1), rng=random.Random(0))
    assert when == NOW + timedelta(minutes=1)
    assert when is not None and when.tzinfo is UTC
