"""Mastodon-compatible CSV lists: what we write Mastodon reads, what Mastodon writes we read."""

from __future__ import annotations

import pytest

from server.portability import mastodon_csv
from server.portability.mastodon_csv import CsvRefused, FollowEntry, blocks_csv, follows_csv, parse_follows_csv

MASTODON_EXPORT = """Account address,Show boosts,Notify on new posts,Languages
anna@social.example,true,false,
bert@buurt.example:8443,false,true,"nl,en"
"""


def test_follows_csv_has_mastodons_header_and_columns() -> None:
    text = follows_csv([FollowEntry("anna@social.example"), FollowEntry("bert@b.example", False, True, ("nl",))])
    lines = text.splitlines()
    assert lines[0] == "Account address,Show boosts,Notify on new posts,Languages"
    assert lines[1] == "anna@social.example,true,false,"
    assert lines[2] == "bert@b.example,false,true,nl"


def test_blocks_csv_is_one_address_a_line() -> None:
    assert blocks_csv(["troll@bad.example", "spam@worse.example"]) == "troll@bad.example\nspam@worse.example\n"


def test_mastodon_export_is_read_with_its_flags() -> None:
    parsed = parse_follows_csv(MASTODON_EXPORT)
    assert [e.address for e in parsed.entries] == ["anna@social.example", "bert@buurt.example:8443"]
    assert parsed.entries[1] == FollowEntry("bert@buurt.example:8443", False, True, ("nl", "en"))
    assert parsed.refused == ()


def test_old_export_without_header_and_duplicates() -> None:
    parsed = parse_follows_csv("@anna@social.example\nanna@SOCIAL.example\n\nbert@b.example\n")
    assert [e.address for e in parsed.entries] == ["anna@social.example", "bert@b.example"]


def test_round_trip() -> None:
    entries = [FollowEntry("a@x.example"), FollowEntry("b@y.example", False, True, ("de", "fr"))]
    assert list(parse_follows_csv(follows_csv(entries)).entries) == entries


def test_bad_lines_are_reported_not_fatal() -> None:
    parsed = parse_follows_csv("anna@social.example\n<script>@x\nnot an address\nhttp://x.example/@bob\n")
    assert [e.address for e in parsed.entries] == ["anna@social.example"]
    assert [n for n, _ in parsed.refused] == [2, 3, 4]
    assert all("not an account address" in reason for _, reason in parsed.refused)


def test_too_large_or_too_long_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CsvRefused, match="larger"):
        parse_follows_csv("a@b.example\n" * (mastodon_csv.MAX_BYTES // 10))
    monkeypatch.setattr(mastodon_csv, "MAX_ROWS", 3)
    with pytest.raises(CsvRefused, match="more than 3"):
        parse_follows_csv("".join(f"u{i}@b.example\n" for i in range(5)))
