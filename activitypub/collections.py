"""OrderedCollection and OrderedCollectionPage documents (pure).

The caller owns paging: it supplies the items of a page and opaque cursors
(e.g. an encoded keyset position); this module only shapes the documents.
Spec: https://www.w3.org/TR/activitystreams-core/#collections
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

from activitypub import terms
from activitypub.vocab_base import JSON, Node, embed

Item = str | Node | Mapping[str, Any]


def page_url(base: str, cursor: str, *, param: str = "page") -> str:
    """`base` with the cursor added as a query parameter (`?page=` or `&page=`)."""
    if not cursor:
        raise ValueError("empty cursor")
    sep = "&" if urlsplit(base).query else "?"
    return f"{base}{sep}{urlencode({param: cursor})}"


def build_ordered_collection(
    collection_id: str,
    *,
    total_items: int | None,
    first_cursor: str | None = None,
    last_cursor: str | None = None,
    items: Sequence[Item] | None = None,
) -> JSON:
    """The collection document. With `items`, they are inlined as `orderedItems`
    (small collections such as `featured`); otherwise `first`/`last` link to pages."""
    doc: JSON = {
        "@context": copy.deepcopy(terms.OUR_CONTEXT),
        "id": collection_id,
        "type": "OrderedCollection",
    }
    if total_items is not None:
        if total_items < 0:
            raise ValueError("negative totalItems")
        doc["totalItems"] = total_items
    if items is not None:
        doc["orderedItems"] = [embed(i) for i in items]
    if first_cursor:
        doc["first"] = page_url(collection_id, first_cursor)
    if last_cursor:
        doc["last"] = page_url(collection_id, last_cursor)
    return doc


def build_ordered_collection_page(
    collection_id: str,
    cursor: str,
    items: Sequence[Item],
    *,
    next_cursor: str | None = None,
    prev_cursor: str | None = None,
    total_items: int | None = None,
) -> JSON:
    """One page: id is `page_url(collection_id, cursor)`, `partOf` the collection."""
    doc: JSON = {
        "@context": copy.deepcopy(terms.OUR_CONTEXT),
        "id": page_url(collection_id, cursor),
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "orderedItems": [embed(i) for i in items],
    }
    if total_items is not None:
        doc["totalItems"] = total_items
    if next_cursor:
        doc["next"] = page_url(collection_id, next_cursor)
    if prev_cursor:
        doc["prev"] = page_url(collection_id, prev_cursor)
    return doc
