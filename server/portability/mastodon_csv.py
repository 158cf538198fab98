"""Mastodon-compatible CSV lists: follows (`following_accounts.csv`, with the header
`Account address,Show boosts,Notify on new posts,Languages`) and blocks
(`blocked_accounts.csv`, one address a line, no header). Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from activitypub.errors import BadResource
from activitypub.webfinger import parse_handle

FOLLOWS_HEADER = ("Account address", "Show boosts", "Notify on new posts", "Languages")
MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024


class CsvRefused(ValueError):
    """The CSV file cannot be used; the message says why."""


@dataclass(frozen=True)
class FollowEntry:
    address: str  # name@host
    show_boosts: bool = True
    notify: bool = False
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedFollows:
    entries: tuple[FollowEntry, ...]
    refused: tuple[tuple[int, str], ...]  # (line number, reason)


def follows_csv(entries: Iterable[FollowEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FOLLOWS_HEADER)
    for entry in entries:
        writer.writerow([entry.address, _flag(entry.show_boosts), _flag(entry.notify), ",".join(entry.languages)])
    return out.getvalue()


def blocks_csv(addresses: Iterable[str]) -> str:
    return "".join(f"{address}\n" for address in addresses)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def parse_follows_csv(text: str) -> ParsedFollows:
    """Read a Mastodon follow export (with or without its header line). Lines that are not
    an account address are reported, not fatal; a file too large is refused."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise CsvRefused(f"the CSV file is larger than {MAX_BYTES} bytes")
    entries: list[FollowEntry] = []
    refused: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not row[0].strip():
            continue
        if number == 1 and row[0].strip().lower() == FOLLOWS_HEADER[0].lower():
            continue
        if len(entries) >= MAX_ROWS:
            raise CsvRefused(f"the CSV file lists more than {MAX_ROWS} accounts")
        try:
            name, host = parse_handle(row[0])
        except BadResource:
            refused.append((number, f"not an account address: {row[0][:100]!r}"))
            continue
        address = f"{name}@{host}"
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        entries.append(
            FollowEntry(
                address=address,
                show_boosts=_read_flag(row, 1, default=True),
                notify=_read_flag(row, 2, default=False),
                languages=tuple(x.strip() for x in row[3].split(",") if x.strip()) if len(row) > 3 else (),
            )
        )
    return ParsedFollows(entries=tuple(entries), refused=tuple(refused))


def _read_flag(row: list[str], index: int, *, default: bool) -> bool:
    if len(row) <= index or not row[index].strip():
        return default
    return row[index].strip().lower() in ("true", "1", "yes")
