"""Bounded JSON parsing for untrusted bodies (pure).

orjson parses at C speed; the depth and array-length walk afterwards is cheap and
rejects documents built to exhaust recursion in later processing.
"""

from __future__ import annotations

from typing import Any

import orjson

DEFAULT_MAX_DEPTH = 32
DEFAULT_MAX_ITEMS = 1000


class JsonError(ValueError):
    """The body is not acceptable JSON; the message is safe to show to the sender."""


def parse_json(body: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH, max_items: int = DEFAULT_MAX_ITEMS) -> Any:
    """Parse `body`, refusing invalid JSON, nesting deeper than `max_depth`
    and arrays or objects with more than `max_items` members."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise JsonError(f"invalid JSON: {exc.msg}") from None
    check_shape(value, max_depth=max_depth, max_items=max_items)
    return value


def parse_json_object(
    body: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH, max_items: int = DEFAULT_MAX_ITEMS
) -> dict[str, Any]:
    value = parse_json(body, max_depth=max_depth, max_items=max_items)
    if not isinstance(value, dict):
        raise JsonError("expected a JSON object")
    return value


def check_shape(value: Any, *, max_depth: int, max_items: int) -> None:
    """Iterative walk (no recursion) that enforces depth and container sizes."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            raise JsonError(f"JSON nested deeper than {max_depth} levels")
        if len(node) > max_items:
            raise JsonError(f"JSON container with more than {max_items} members")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def dumps(value: Any) -> bytes:
    """Serialise for the wire or for jsonb: NUL characters are dropped (jsonb refuses them)."""
    raw = orjson.dumps(value)
    if b"\\u0000" in raw:
        raw = orjson.dumps(_strip_nul(value))
    return raw


def _strip_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    return value
