"""The iCalendar writer, checked by parsing its output with the independent `icalendar`
package and by looking at the raw octets (folding, CRLF, escaping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from server.domain.calendar import (
    CalendarMeta,
    EventView,
    escape_text,
    fold_line,
    render_calendar,
    vtimezone,
)

AMS = ZoneInfo("Europe/Amsterdam")
META = CalendarMeta(name="Oosterpark; agenda, alles", description="Wat er\ngebeurt", product="-//Buurtplein//test//NL")
STAMP = datetime(2025, 1, 1, tzinfo=UTC)


def _event(**changes: object) -> EventView:
    values: dict[str, object] = {
        "uid": "http://buurt.test/objects/e1",
        "url": "http://buurt.test/objects/e1",
        "title": "Buurtfeest, met soep; en muziek",
        "description": "Neem een stoel mee.\nTot dan!",
        "starts_at": datetime(2025, 6, 14, 15, 0, tzinfo=AMS),
        "ends_at": datetime(2025, 6, 14, 22, 0, tzinfo=AMS),
        "timezone": "Europe/Amsterdam",
        "status": "scheduled",
        "location_name": "Het Plein",
        "address": "Linnaeusstraat 1, Amsterdam",
        "latitude": 52.3601,
        "longitude": 4.9210,
        "organiser_name": 'Buurt "Oost"',
        "organiser_url": "http://buurt.test/actors/oosterpark",
        "created_at": datetime(2025, 5, 1, tzinfo=UTC),
        "updated_at": datetime(2025, 5, 2, tzinfo=UTC),
        "sequence": 2,
    }
    values.update(changes)
    return EventView(**values)  # type: ignore[arg-type]


def _parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def test_calendar_parses_with_icalendar_and_keeps_every_field() -> None:
    body = render_calendar(META, [_event()], fallback_stamp=STAMP)
    cal = _parse(body)
    # NAME/X-WR-CALNAME are TEXT (escaped); icalendar keeps unknown properties verbatim.
    assert cal["X-WR-CALNAME"].to_ical() == b"Oosterpark\\; agenda\\, alles"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "http://buurt.test/objects/e1"
    assert str(event["SUMMARY"]) == "Buurtfeest, met soep; en muziek"
    assert str(event["DESCRIPTION"]) == "Neem een stoel mee.\nTot dan!"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == datetime(2025, 6, 14, 15, 0, tzinfo=AMS)
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2025, 6, 14, 13, 0, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert tuple(event.decoded("GEO")) == (52.3601, 4.921)
    assert str(event["LOCATION"]) == "Het Plein, Linnaeusstraat 1, Amsterdam"
    assert event.decoded("SEQUENCE") == 2
    assert event["ORGANIZER"].params["CN"] == "Buurt Oost"


def test_vtimezone_has_summer_and_winter_observances() -> None:
    body = render_calendar(META, [_event()], fallback_stamp=STAMP)
    (tz,) = _parse(body).walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Amsterdam"
    kinds = {c.name: c for c in tz.subcomponents}
    assert kinds["DAYLIGHT"].decoded("TZOFFSETTO") == timedelta(hours=2)
    assert kinds["STANDARD"].decoded("TZOFFSETTO") == timedelta(hours=1)
    lines = vtimezone("Europe/Amsterdam", 2025, 2025)
    assert "DTSTART:20250330T020000" in lines  # clocks go forward at 02:00 local time
    assert "DTSTART:20251026T030000" in lines  # and back at 03:00 summer time


def test_a_zone_without_changes_gets_one_standard_observance() -> None:
    lines = vtimezone("Asia/Tokyo", 2025, 2025)
    assert lines.count("BEGIN:STANDARD") == 1 and "TZOFFSETTO:+0900" in lines


def test_cancelled_event_says_so() -> None:
    body = render_calendar(META, [_event(status="cancelled")], fallback_stamp=STAMP)
    (event,) = _parse(body).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_unknown_timezone_falls_back_to_utc_times() -> None:
    body = render_calendar(META, [_event(timezone="Mars/Olympus")], fallback_stamp=STAMP)
    cal = _parse(body)
    assert cal.walk("VTIMEZONE") == []
    (event,) = cal.walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2025, 6, 14, 13, 0, tzinfo=UTC)


def test_every_line_ends_in_crlf_and_is_at_most_75_octets() -> None:
    long_title = "Ééé " * 60 + "🎉" * 30
    body = render_calendar(META, [_event(title=long_title, description="x" * 500)], fallback_stamp=STAMP)
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    for line in body.split(b"\r\n")[:-1]:
        assert len(line) <= 75
        line.decode("utf-8")  # no character split across a fold
    (event,) = _parse(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == long_title


def test_fold_line_breaks_between_characters() -> None:
    folded = fold_line("SUMMARY:" + "€" * 40)
    physical = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert folded.replace("\r\n ", "").rstrip("\r\n") == "SUMMARY:" + "€" * 40


def test_text_cannot_inject_properties() -> None:
    evil = "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil"
    body = render_calendar(META, [_event(title=evil, url="http://a.test/\r\nX-EVIL:1")], fallback_stamp=STAMP)
    cal = _parse(body)
    assert len(cal.walk("VEVENT")) == 1
    assert b"X-EVIL" not in body.replace(b"http://a.test/X-EVIL:1", b"")
    assert escape_text("a,b;c\\d") == "a\\,b\\;c\\\\d"


def test_output_is_stable_for_equal_data() -> None:
    events = [_event(), _event(uid="http://buurt.test/objects/e2", starts_at=datetime(2026, 1, 2, tzinfo=AMS))]
    assert render_calendar(META, events, fallback_stamp=STAMP) == render_calendar(
        META, events, fallback_stamp=STAMP + timedelta(days=3)
    )


def test_empty_calendar_is_valid() -> None:
    cal = _parse(render_calendar(META, [], fallback_stamp=STAMP))
    assert cal.walk("VEVENT") == []
