"""AS2 ⇄ events and polls: real Mobilizon payload and Gancio / FEP-8a8e / Friendica shapes
read field by field; our Event and Question written in one strict shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from activitypub.terms import is_defined_term
from server.convert.events import EVENT_TERMS, event_fields_document, event_from_as, plain_summary, takes_join
from server.convert.polls import poll_fields_document, poll_from_as, vote_from_as
from server.storage.events import EventFields
from server.storage.polls import OptionCount

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "interop" / "payloads"


def mobilizon_event() -> dict[str, Any]:
    path = SHARED / "mobilizon" / "objects" / "event.json"
    if not path.exists():
        pytest.skip("../shared/interop is absent (a fresh clone); CI has it")
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def test_mobilizon_event_is_read_field_by_field() -> None:
    event = event_from_as(mobilizon_event())
    assert event is not None
    assert event.name == "Caledonian scottish dance class"
    assert event.starts_at == datetime(2022, 12, 11, 19, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2022, 12, 11, 21, 0, tzinfo=UTC)
    assert event.timezone == "Europe/London"
    assert event.place_name == "The Kenn Centre"
    assert event.street_address == "Devon Expressway"
    assert event.locality == "Teignbridge"
    assert event.region == "England"
    assert event.postal_code == "EX6 7TW"
    assert event.country == "United Kingdom"
    assert event.latitude == pytest.approx(50.66881615)
    assert event.longitude == pytest.approx(-3.537739788359949)
    assert event.online_url is None
    assert event.join_mode == "free"
    assert event.capacity is None  # Mobilizon's 0 means "no limit"
    assert event.status == "scheduled"  # ical:status CONFIRMED
    assert event.reported_participants == 0
    assert takes_join(mobilizon_event())


def test_mobilizon_prefixed_keys_text_address_and_location_list() -> None:
    event = event_from_as(
        {
            "type": "Event",
            "name": "Repair café",
            "startTime": "2024-05-04T10:00:00+02:00",
            "mz:timezone": "Europe/Amsterdam",
            "sc:maximumAttendeeCapacity": 20,
            "location": [
                {"type": "Place", "name": "Buurthuis", "sc:address": "Dapperstraat 1, Amsterdam"},
                {"type": "VirtualLocation", "url": "https://meet.example/repair"},
            ],
            "ical:status": "CANCELLED",
        }
    )
    assert event is not None
    assert event.starts_at == datetime(2024, 5, 4, 8, 0, tzinfo=UTC)
    assert event.timezone == "Europe/Amsterdam"
    assert event.capacity == 20
    assert event.place_name == "Buurthuis"
    assert event.street_address == "Dapperstraat 1, Amsterdam"
    assert event.online_url == "https://meet.example/repair"
    assert event.status == "cancelled"


def test_gancio_event_with_text_address_and_string_coordinates() -> None:
    gancio = {
        "id": "https://gancio.example/federation/m/12",
        "type": "Event",
        "name": "Assemblea di quartiere",
        "content": "<p>Tutti benvenuti</p>",
        "startTime": "2024-06-01T18:00:00+02:00",
        "endTime": "2024-06-01T20:00:00+02:00",
        "location": {"name": "Piazza", "address": "Via Roma 1, Bologna", "latitude": "44.49", "longitude": "11.34"},
        "attributedTo": "https://gancio.example/federation/u/events",
    }
    event = event_from_as(gancio)
    assert event is not None
    assert (event.place_name, event.street_address) == ("Piazza", "Via Roma 1, Bologna")
    assert (event.latitude, event.longitude) == (44.49, 11.34)
    assert event.timezone is None and event.join_mode == "free"
    assert not takes_join(gancio)  # answered in Friendica's dialect


def test_fep_8a8e_online_event_schema_status_and_geo() -> None:
    event = event_from_as(
        {
            "type": "Event",
            "name": "Online talk",
            "startTime": "2024-06-01T18:00:00Z",
            "eventStatus": "https://schema.org/EventPostponed",
            "isOnline": True,
            "attachment": [{"type": "Link", "href": "https://video.example/live"}],
            "location": {"type": "Place", "name": "Hall", "geo": {"latitude": 52.0, "longitude": 4.9}},
        }
    )
    assert event is not None
    assert event.status == "postponed"
    assert event.online_url == "https://video.example/live"
    assert (event.latitude, event.longitude) == (52.0, 4.9)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "Event", "name": "no start"},
        {"type": "Event", "name": "bad start", "startTime": "tomorrow"},
        {"type": "Event", "name": "list start", "startTime": ["2024-01-01T00:00:00Z"]},
    ],
)
def test_event_without_usable_start_is_not_an_event(bad: dict[str, Any]) -> None:
    assert event_from_as(bad) is None


def test_hostile_values_are_dropped_not_trusted() -> None:
    event = event_from_as(
        {
            "type": "Event",
            "name": "<script>alert(1)</script>Feest",
            "startTime": "2024-06-01T18:00:00Z",
            "endTime": "2024-05-01T18:00:00Z",  # before the start
            "timezone": "../../etc/passwd",
            "maximumAttendeeCapacity": -5,
            "participantCount": "many",
            "location": {"type": "VirtualLocation", "url": "javascript:alert(1)"},
            "joinMode": "everyone-and-their-dog",
            "latitude": 500,
        }
    )
    assert event is not None
    assert "<" not in event.name
    assert event.ends_at is None and event.timezone is None and event.capacity is None
    assert event.reported_participants is None and event.online_url is None
    assert event.join_mode == "free"


def sample_event(**changes: Any) -> EventFields:
    values: dict[str, Any] = {
        "name": "Buurtfeest",
        "starts_at": datetime(2024, 10, 12, 12, 0, tzinfo=UTC),
        "ends_at": datetime(2024, 10, 12, 15, 0, tzinfo=UTC),
        "timezone": "Europe/Amsterdam",
        "place_name": "Buurthuis De Pijp",
        "street_address": "Van Ostadestraat 1",
        "postal_code": "1072 SW",
        "locality": "Amsterdam",
        "country": "NL",
        "latitude": 52.35,
        "longitude": 4.89,
        "capacity": 40,
    }
    values.update(changes)
    return EventFields(**values)


def test_our_event_is_written_in_the_shape_mobilizon_gancio_and_mastodon_read() -> None:
    doc = event_fields_document(sample_event(), going=3)
    assert doc["startTime"] == "2024-10-12T12:00:00Z" and doc["endTime"] == "2024-10-12T15:00:00Z"
    assert doc["timezone"] == "Europe/Amsterdam"
    assert doc["location"] == {
        "type": "Place",
        "name": "Buurthuis De Pijp",
        "address": {
            "type": "PostalAddress",
            "streetAddress": "Van Ostadestraat 1",
            "addressLocality": "Amsterdam",
            "postalCode": "1072 SW",
            "addressCountry": "NL",
        },
        "latitude": 52.35,
        "longitude": 4.89,
    }
    assert doc["joinMode"] == "free"
    assert doc["maximumAttendeeCapacity"] == 40 and doc["remainingAttendeeCapacity"] == 37
    assert doc["participantCount"] == 3
    assert doc["ical:status"] == "CONFIRMED" and doc["status"] == "CONFIRMED"
    assert doc["eventStatus"] == "https://schema.org/EventScheduled"
    # what Mastodon shows: name, this plain summary, the link
    assert doc["summary"] == (
        "Saturday 12 October 2024, 14:00–17:00 (Europe/Amsterdam) · "
        "Buurthuis De Pijp, Van Ostadestraat 1, 1072 SW Amsterdam"
    )
    assert "<" not in doc["summary"]
    # our own reader reads it back
    again = event_from_as({"type": "Event", **doc})
    assert again is not None and again.place_name == "Buurthuis De Pijp" and again.capacity == 40


def test_every_event_term_we_write_is_defined() -> None:
    doc = event_fields_document(sample_event(online_url="https://meet.example/x"), going=0)
    undefined = [k for k in doc if not is_defined_term(k) and k not in EVENT_TERMS]
    assert undefined == []


def test_cancelled_online_event_summary_says_so() -> None:
    event = sample_event(status="cancelled", place_name=None, street_address=None, postal_code=None, locality=None,
                         latitude=None, longitude=None, online_url="https://meet.example/x")  # fmt: skip
    doc = event_fields_document(event, going=0)
    assert doc["summary"].startswith("CANCELLED: Saturday 12 October 2024")
    assert doc["location"] == {"type": "VirtualLocation", "url": "https://meet.example/x"}
    assert doc["isOnline"] is True and doc["eventStatus"].endswith("EventCancelled")
    assert "online: https://meet.example/x" in plain_summary(event)


def test_mastodon_question_and_vote_are_read() -> None:
    poll = poll_from_as(
        {
            "type": "Question",
            "oneOf": [
                {"type": "Note", "name": "Ja", "replies": {"type": "Collection", "totalItems": 4}},
                {"type": "Note", "name": "Nee", "replies": {"type": "Collection", "totalItems": 1}},
                {"type": "Note", "name": "Ja"},  # duplicate: dropped
                "not an option",
            ],
            "endTime": "2024-06-01T18:00:00Z",
            "votersCount": 5,
        }
    )
    assert poll is not None and not poll.multiple
    assert poll.options == [("Ja", 4), ("Nee", 1)] and poll.voters == 5
    assert poll.ends_at == datetime(2024, 6, 1, 18, 0, tzinfo=UTC) and poll.closed_at is None
    assert poll_from_as({"type": "Question", "anyOf": []}) is None
    vote = {"type": "Note", "name": "Ja", "inReplyTo": "https://a.example/q/1", "attributedTo": "https://b/u"}
    assert vote_from_as(vote) == ("https://a.example/q/1", "Ja")
    assert vote_from_as({**vote, "content": "<p>a real reply with a title</p>"}) is None


def test_our_question_has_mastodon_counts() -> None:
    doc = poll_fields_document(
        [OptionCount(0, "Ja", 2), OptionCount(1, "Nee", 1)],
        multiple=True,
        ends_at=datetime(2024, 6, 1, tzinfo=UTC),
        closed_at=None,
        voters=2,
    )
    assert doc["anyOf"][0] == {"type": "Note", "name": "Ja", "replies": {"type": "Collection", "totalItems": 2}}
    assert doc["votersCount"] == 2 and doc["endTime"] == "2024-06-01T00:00:00Z" and "closed" not in doc
