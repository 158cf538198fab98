"""Shared pieces of the property-based tests: hypothesis settings, JSON strategies and
the captured payloads of real servers (../shared/interop/payloads) with mutations."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.harness import REPO

PAYLOADS = REPO.parent / "shared" / "interop" / "payloads"
ABSENT = f"interop payloads not found at {PAYLOADS} (../shared/ is absent in a fresh clone)"

# Bounded: each property stays well under 20 s on a shared two-core machine. No example
# database (nothing written into the checkout); a generous deadline, as the machine is shared.
BOUNDED = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Well-formed ids on the sender's origin half of the time, so documents get past the
# envelope and the origin checks and reach the later steps; hostile ones otherwise.
URLS = st.sampled_from(
    [
        "https://peer.example/users/bob",
        "https://peer.example/users/bob/statuses/1",
        "https://peer.example/users/bob#main-key",
    ]
) | st.sampled_from(
    [
        "https://other.example/users/eve",
        "https://buurt.test/actors/alice",  # our own origin
        "http://peer.example/x",
        "https://peer.example:99999/users/bob",  # port out of range
        "https://peer.example:abc/users/bob",  # port not a number
        "https://[::1/users/bob",  # broken IPv6 literal
        "https://",
        "http://[fe80::1%25eth0]/x",
        "https://www.w3.org/ns/activitystreams#Public",
        "as:Public",
        "",
        "javascript:alert(1)",
        "https://peer.example/" + "a" * 3000,
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | URLS
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6),
    max_leaves=40,
)
TYPES = st.sampled_from(
    ["Create", "Update", "Delete", "Follow", "Accept", "Undo", "Announce", "Like", "Join", "Move", "Flag", "Note"]
)
REF = URLS | st.fixed_dictionaries({"id": URLS}, optional={"type": TYPES, "attributedTo": URLS}) | st.lists(URLS)
ACTIVITIES = st.fixed_dictionaries(
    {"id": URLS, "type": TYPES | st.lists(TYPES, max_size=3), "actor": REF},
    optional={
        "object": REF | JSON,
        "to": REF | JSON,
        "cc": REF,
        "bto": REF,
        "audience": REF,
        "target": REF,
        "@context": JSON,
        "proof": st.fixed_dictionaries(
            {"type": st.just("DataIntegrityProof"), "cryptosuite": st.just("eddsa-jcs-2022")},
            optional={"verificationMethod": URLS, "proofValue": st.text(max_size=90), "created": st.text(max_size=30)},
        ),
    },
)


def load_payloads() -> list[dict[str, Any]]:
    """Every captured JSON object, sorted by path (an empty list when ../shared/ is absent)."""
    if not PAYLOADS.is_dir():
        return []
    found = []
    for path in sorted(PAYLOADS.rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            found.append(data)
    return found


def paths(document: Any) -> list[tuple[Any, ...]]:
    """Every path (keys and indexes) into `document`, the root first."""
    found: list[tuple[Any, ...]] = [()]
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack:
        prefix, node = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            found.append((*prefix, key))
            stack.append(((*prefix, key), child))
    return found


def mutate_document(data: st.DataObject, document: dict[str, Any]) -> Any:
    """One structural mutation of a copy of `document`: a value replaced, removed, wrapped
    in a list or an object, or its type changed."""
    doc = copy.deepcopy(document)
    path = data.draw(st.sampled_from(paths(doc)), label="path")
    if not path:
        return data.draw(JSON, label="root")
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    operation = data.draw(st.sampled_from(["replace", "delete", "wrap-list", "wrap-object", "url"]), label="op")
    if operation == "delete":
        del parent[key]
    elif operation == "replace":
        parent[key] = data.draw(JSON, label="value")
    elif operation == "wrap-list":
        parent[key] = [parent[key]] * data.draw(st.integers(0, 3))
    elif operation == "wrap-object":
        parent[key] = {"id": parent[key], "type": data.draw(TYPES)}
    else:
        parent[key] = data.draw(URLS, label="url")
    return doc


def mutate_bytes(data: st.DataObject, raw: bytes) -> bytes:
    """One byte-level mutation: truncated, a byte changed, bytes inserted or a slice repeated."""
    at = data.draw(st.integers(0, len(raw)), label="at")
    operation = data.draw(st.sampled_from(["truncate", "change", "insert", "repeat"]), label="byte-op")
    if operation == "truncate":
        return raw[:at]
    if operation == "change" and at < len(raw):
        return raw[:at] + bytes([data.draw(st.integers(0, 255))]) + raw[at + 1 :]
    if operation == "repeat":
        end = data.draw(st.integers(at, len(raw)))
        return raw[:end] + raw[at:end] * data.draw(st.integers(1, 4)) + raw[end:]
    return raw[:at] + data.draw(st.binary(min_size=1, max_size=16)) + raw[at:]
