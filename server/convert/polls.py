"""ActivityStreams Question and votes ⇄ our polls, in Mastodon's shape.

A poll is a Question with `oneOf` (one choice) or `anyOf` (several), each option a Note
with a `name` and `replies.totalItems` (its votes), `endTime`, `closed` once closed and
`votersCount` (each voter once). A vote is a Note with `name` = the option and
`inReplyTo` = the Question, addressed to the poll's author only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitypub import jsonld
from server.convert.events import plain_text
from server.storage.polls import OptionCount

JSON = dict[str, Any]
MAX_OPTIONS = 50
MAX_OPTION_NAME = 200


@dataclass(frozen=True)
class ReceivedPoll:
    multiple: bool
    ends_at: datetime | None
    closed_at: datetime | None
    options: list[tuple[str, int]]  # (name, votes) in order
    voters: int | None


def _votes(option: Mapping[str, Any]) -> int:
    replies = option.get("replies")
    total = replies.get("totalItems") if isinstance(replies, Mapping) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else 0


def _options(value: Any) -> list[tuple[str, int]]:
    found: dict[str, int] = {}
    for item in jsonld.as_list(value)[:MAX_OPTIONS]:
        if not isinstance(item, Mapping):
            continue
        name = plain_text(jsonld.language_map_value(item, "name"), MAX_OPTION_NAME)
        if name and name not in found:
            found[name] = _votes(item)
    return list(found.items())


def _closed(document: Mapping[str, Any]) -> datetime | None:
    closed = document.get("closed")
    if closed is True:  # some servers say only that it is closed
        return jsonld.parse_datetime(document.get("endTime")) or jsonld.parse_datetime(document.get("updated"))
    return jsonld.parse_datetime(closed)


def poll_from_as(document: Mapping[str, Any]) -> ReceivedPoll | None:
    """Our view of a received Question; None when it has no usable options."""
    multiple = bool(document.get("anyOf")) and not document.get("oneOf")
    options = _options(document.get("anyOf") if multiple else document.get("oneOf"))
    if not options:
        return None
    voters = document.get("votersCount")
    return ReceivedPoll(
        multiple=multiple,
        ends_at=jsonld.parse_datetime(document.get("endTime")),
        closed_at=_closed(document),
        options=options,
        voters=voters if isinstance(voters, int) and not isinstance(voters, bool) and voters >= 0 else None,
    )


def poll_fields_document(
    options: Sequence[OptionCount], *, multiple: bool, ends_at: datetime | None, closed_at: datetime | None, voters: int
) -> JSON:
    """The poll-specific properties of our Question (merged into the object by the caller)."""
    doc: JSON = {
        "anyOf" if multiple else "oneOf": [
            {"type": "Note", "name": o.name, "replies": {"type": "Collection", "totalItems": o.votes}} for o in options
        ],
        "votersCount": voters,
    }
    if ends_at is not None:
        doc["endTime"] = jsonld.format_datetime(ends_at)
    if closed_at is not None:
        doc["closed"] = jsonld.format_datetime(closed_at)
    return doc


def vote_document(vote_id: str, voter: str, question_id: str, author: str, option: str) -> JSON:
    return {
        "id": vote_id,
        "type": "Note",
        "name": option,
        "attributedTo": voter,
        "inReplyTo": question_id,
        "to": [author],
    }


def vote_from_as(document: Mapping[str, Any]) -> tuple[str, str] | None:
    """(question id, option name) when `document` is a vote: a Note with a `name`, an
    `inReplyTo` and no text of its own; else None."""
    if document.get("type") != "Note":
        return None
    question = jsonld.get_id(document.get("inReplyTo"))
    name = plain_text(document.get("name"), MAX_OPTION_NAME)
    if question is None or name is None:
        return None
    if plain_text(jsonld.language_map_value(document, "content")):
        return None
    return question, name
