from __future__ import annotations

from typing import Any

import pytest

from activitypub import terms
from activitypub.collections import (
    build_ordered_collection,
    build_ordered_collection_page,
    page_url,
)
from activitypub.vocab import Note

OUTBOX = "https://buurt.example/users/anna/outbox"


def test_page_url() -> None:
    assert page_url(OUTBOX, "abc") == OUTBOX + "?page=abc"
    assert page_url(OUTBOX + "?x=1", "a b&c") == OUTBOX + "?x=1&page=a+b%26c"
    with pytest.raises(ValueError):
        page_url(OUTBOX, "")


def test_collection() -> None:
    doc = build_ordered_collection(OUTBOX, total_items=12, first_cursor="f", last_cursor="l")
    assert doc == {
        "@context": terms.OUR_CONTEXT,
        "id": OUTBOX,
        "type": "OrderedCollection",
        "totalItems": 12,
        "first": OUTBOX + "?page=f",
        "last": OUTBOX + "?page=l",
    }
    empty = build_ordered_collection(OUTBOX, total_items=0)
    assert "first" not in empty and empty["totalItems"] == 0
    inline = build_ordered_collection(OUTBOX, total_items=None, items=["https://x/1"])
    assert inline["orderedItems"] == ["https://x/1"] and "totalItems" not in inline
    with pytest.raises(ValueError):
        build_ordered_collection(OUTBOX, total_items=-1)


def test_page() -> None:
    note = Note(id="https://x/2", content="c")
    items: list[str | Note | dict[str, Any]] = [
        "https://x/1",
        note,
        {"@context": "x", "id": "https://x/3", "name": None},
    ]
    doc = build_ordered_collection_page(OUTBOX, "p2", items, next_cursor="p3", prev_cursor="p1")
    assert doc["id"] == OUTBOX + "?page=p2" and doc["partOf"] == OUTBOX
    assert doc["type"] == "OrderedCollectionPage"
    assert doc["orderedItems"] == [
        "https://x/1",
        {"id": "https://x/2", "type": "Note", "content": "c"},
        {"id": "https://x/3"},
    ]
    assert doc["next"] == OUTBOX + "?page=p3" and doc["prev"] == OUTBOX + "?page=p1"
    last = build_ordered_collection_page(OUTBOX, "p9", [])
    assert last["orderedItems"] == [] and "next" not in last and "prev" not in last
