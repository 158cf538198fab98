from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from activitypub.jsonld import (
    as_list,
    first,
    format_datetime,
    get_id,
    ids,
    language_map_value,
    origin_of,
    parse_datetime,
    same_origin,
)


def test_as_list_and_first() -> None:
    assert as_list(None) == []
    assert as_list("a") == ["a"]
    assert as_list({"id": "a"}) == [{"id": "a"}]
    original = ["a", "b"]
    assert as_list(original) == original and as_list(original) is not original
    assert first(["x", "y"]) == "x"
    assert first([]) is None
    assert first("x") == "x"
    assert first(None) is None


def test_get_id_and_ids() -> None:
    assert get_id("https://a/1") == "https://a/1"
    assert get_id({"id": "https://a/1", "type": "Note"}) == "https://a/1"
    assert get_id({"type": "Link", "href": "https://a/2"}) == "https://a/2"
    assert get_id({"type": "Note"}) is None
    assert get_id(42) is None
    assert get_id("") is None
    assert ids(["https://a/1", {"id": "https://a/2"}, {"x": 1}, None, 3]) == [
        "https://a/1",
        "https://a/2",
    ]
    assert ids(None) == []
    assert ids("https://a/1") == ["https://a/1"]


def test_language_map_value() -> None:
    obj = {"content": "hello", "contentMap": {"nl": "hallo", "de-AT": "servus"}}
    assert language_map_value(obj, "content") == "hello"
    assert language_map_value(obj, "content", "nl") == "hallo"
    assert language_map_value(obj, "content", "de") == "servus"
    assert language_map_value(obj, "content", "fr") == "hello"
    assert language_map_value({"nameMap": {"en": "Name"}}, "name") == "Name"
    assert language_map_value({"summaryMap": {"en": 3}}, "summary") is None
    assert language_map_value({}, "summary") is None
    assert language_map_value({"name": ["first", "second"]}, "name") == "first"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Example.COM/users/a", "https://example.com"),
        ("https://example.com:443/x", "https://example.com"),
        ("http://example.com:80/x", "http://example.com"),
        ("http://example.com:8080/x", "http://example.com:8080"),
        ("HTTPS://user@example.com./x?y#z", "https://example.com"),
        ("https://[::1]:8443/x", "https://[::1]:8443"),
        ("not a url", ""),
        ("https://example.com:99999/", ""),
        ("/relative/path", ""),
    ],
)
def test_origin_of(url: str, origin: str) -> None:
    assert origin_of(url) == origin


def test_same_origin() -> None:
    assert same_origin("https://a.example/u/1", "https://A.example:443/inbox")
    assert not same_origin("https://a.example/u/1", "http://a.example/u/1")
    assert not same_origin("https://a.example/", "https://a.example.evil/")
    assert not same_origin("https://a.example:444/", "https://a.example/")
    assert not same_origin("garbage", "garbage")


def test_datetimes() -> None:
    moment = datetime(2024, 5, 3, 14, 32, 29, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(moment) == "2024-05-03T12:32:29Z"
    with pytest.raises(ValueError):
        format_datetime(datetime(2024, 1, 1))
    utc = datetime(2021, 11, 1, 12, 11, 22, 871846, tzinfo=UTC)
    assert parse_datetime("2021-11-01T12:11:22.871846Z") == utc
    assert parse_datetime("2026-07-12T19:30:38.560996451Z") == datetime(2026, 7, 12, 19, 30, 38, 560996, tzinfo=UTC)
    assert parse_datetime("2022-12-11T19:00:00+00:00") == datetime(2022, 12, 11, 19, tzinfo=UTC)
    assert parse_datetime("2022-12-11T19:00:00") == datetime(2022, 12, 11, 19, tzinfo=UTC)
    assert parse_datetime("yesterday") is None
    assert parse_datetime(12) is None
