"""Updates of remote polls and events that cross in delivery: the newer copy stays."""

from __future__ import annotations

from server.handlers.polls import is_stale


def test_an_older_update_does_not_replace_a_newer_copy() -> None:
    stored = {"updated": "2024-06-01T10:00:00.500000Z"}
    assert is_stale(stored, {"updated": "2024-06-01T10:00:00.100000Z"})
    assert not is_stale(stored, {"updated": "2024-06-01T10:00:01Z"})
    assert not is_stale(stored, {})  # no time given: taken as news
    assert not is_stale(None, {"updated": "2024-06-01T10:00:00Z"})
