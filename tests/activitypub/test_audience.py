from __future__ import annotations

import pytest

from activitypub.audience import (
    Visibility,
    classify,
    is_public,
    recipients,
    strip_private_audience,
)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
FOLLOWERS = "https://buurt.example/users/anna/followers"
MEMBERS = "https://buurt.example/groups/oost/members"


@pytest.mark.parametrize("spelling", [PUBLIC, "as:Public", "Public"])
def test_is_public_in_every_spelling(spelling: str) -> None:
    assert is_public(spelling)
    assert is_public([FOLLOWERS, spelling])
    assert is_public({"id": spelling})


def test_is_public_negative() -> None:
    assert not is_public(None)
    assert not is_public([FOLLOWERS])
    assert not is_public("https://evil.example/Public")


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([PUBLIC], [FOLLOWERS], Visibility.PUBLIC),
        ("as:Public", None, Visibility.PUBLIC),
        ([FOLLOWERS], ["Public"], Visibility.UNLISTED),
        ([FOLLOWERS], [], Visibility.FOLLOWERS),
        ([], [FOLLOWERS, "https://x.example/b"], Visibility.FOLLOWERS),
        ([MEMBERS], [], Visibility.MEMBERS),
        (["https://x.example/b"], [], Visibility.DIRECT),
        ([], [], Visibility.DIRECT),
    ],
)
def test_classify(to: object, cc: object, expected: Visibility) -> None:
    doc = {"type": "Note", "to": to, "cc": cc}
    assert classify(doc, FOLLOWERS, members_urls=[MEMBERS]) is expected


def test_classify_unknown_followers_url_never_widens() -> None:
    assert classify({"to": [FOLLOWERS]}, None) is Visibility.DIRECT


def test_classify_falls_back_on_embedded_object() -> None:
    activity = {"type": "Create", "object": {"type": "Note", "to": [PUBLIC]}}
    assert classify(activity, FOLLOWERS) is Visibility.PUBLIC
    assert classify({"type": "Create", "object": "https://x/1"}, None) is Visibility.DIRECT


def test_strip_private_audience() -> None:
    activity = {
        "type": "Create",
        "to": ["a"],
        "bto": ["b"],
        "bcc": ["c"],
        "object": {"type": "Note", "bcc": ["c"], "content": "x"},
    }
    stripped = strip_private_audience(activity)
    assert stripped == {"type": "Create", "to": ["a"], "object": {"type": "Note", "content": "x"}}
    assert activity["bto"] == ["b"]  # input untouched
    assert activity["object"]["bcc"] == ["c"]  # type: ignore[index]


def test_recipients() -> None:
    activity = {
        "to": [PUBLIC, "https://x/a"],
        "cc": ["https://x/b", "https://x/a", "as:Public"],
        "bto": "https://x/c",
        "bcc": [{"id": "https://x/d"}],
        "audience": "https://x/group",
    }
    assert recipients(activity) == [
        "https://x/a",
        "https://x/b",
        "https://x/c",
        "https://x/d",
        "https://x/group",
    ]
    assert recipients({}) == []
