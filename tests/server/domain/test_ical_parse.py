"""Reading external calendars: recurrences, exceptions, overrides, limits, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.domain.ical_parse import MalformedCalendar, TooManyEvents, parse_calendar

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def _cal(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


WEEKLY = (
    "BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Europe/Amsterdam:20250303T190000\r\nDURATION:PT1H\r\n"
    "RRULE:FREQ=WEEKLY\r\nEXDATE;TZID=Europe/Amsterdam:20250310T190000\r\nSUMMARY:Yoga\r\nEND:VEVENT\r\n"
)
OVERRIDE = (
    "BEGIN:VEVENT\r\nUID:w\r\nRECURRENCE-ID;TZID=Europe/Amsterdam:20250317T190000\r\n"
    "DTSTART;TZID=Europe/Amsterdam:20250317T200000\r\nSUMMARY:Yoga (later)\r\nSEQUENCE:1\r\nEND:VEVENT\r\n"
)


def _parse(body: bytes, days: int = 30, max_events: int = 100) -> list:  # type: ignore[type-arg]
    return parse_calendar(
        body, default_tz="Europe/Amsterdam", now=NOW, horizon=timedelta(days=days), max_events=max_events
    )


def test_weekly_rule_is_expanded_to_the_horizon_without_excluded_dates() -> None:
    found = sorted(_parse(_cal(WEEKLY, OVERRIDE), days=31), key=lambda o: o.fields.starts_at)
    days = [o.fields.starts_at.day for o in found]
    assert days == [3, 17, 24, 31]  # the 10th is excluded, horizon ends 1 April
    assert found[1].fields.name == "Yoga (later)" and found[1].fields.starts_at.hour == 20
    assert found[0].fields.timezone == "Europe/Amsterdam"
    assert found[0].fields.ends_at - found[0].fields.starts_at == timedelta(hours=1)
    assert len({(o.uid, o.recurrence_id) for o in found}) == 4


def test_all_day_and_floating_times_use_the_neighbourhood_zone() -> None:
    (event,) = _parse(_cal("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20250305\r\nSUMMARY:Markt\r\nEND:VEVENT\r\n"))
    assert event.fields.starts_at.utcoffset() == timedelta(hours=1)


def test_too_many_events_stop_the_import() -> None:
    with pytest.raises(TooManyEvents):
        _parse(_cal(WEEKLY), days=365, max_events=5)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html></html>",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n",
        _cal("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n"),
    ],
)
def test_malformed_calendars_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedCalendar):
        _parse(body)
