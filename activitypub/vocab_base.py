"""The generic reader and writer behind the typed models of `activitypub.vocab`.

Each model field declares its JSON key and a value kind with `prop()`; `read_node`
and `write_node` walk those declarations. Reading never drops data: keys we do not
model, and modelled keys whose value has an unusable shape, land in `extra`.
Writing emits only modelled fields, never None.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias

from activitypub import jsonld, terms

JSON: TypeAlias = dict[str, Any]
Ref: TypeAlias = "Node | str"
REGISTRY: dict[str, type[Node]] = {}
_SCALARS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "num": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
}
_AS2_PREFIXES = (terms.AS2_NS, terms.AS2_CONTEXT_HTTP + "#", "as:")


def prop(key: str, kind: str = "str", cls: str = "", *, single: bool = False) -> Any:
    # Returns a dataclasses.field; ruff cannot see that (hence RUF009 noqa at call sites).
    """Declare a field read from and written to the JSON key `key`.

    kinds: str, id, ids, bool, int, num, map (a JSON object), node (one Ref), nodes
    (a tuple of Refs). `cls` is the type name of the model used for an embedded object
    whose type is absent or unknown; `single` writes a one-element tuple as a scalar.
    """
    meta = {"key": key, "kind": kind, "cls": cls, "single": single}
    if kind in ("ids", "nodes"):
        return field(default=(), metadata=meta)
    if kind == "map":
        return field(default_factory=dict, metadata=meta)
    return field(default=None, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class Node:
    """Any JSON-LD node. `type` is the primary type, `types` every declared one
    (empty when the sender gave none); `extra` holds every unmodelled key."""

    TYPE: ClassVar[str] = ""
    type: str = ""
    id: str | None = prop("id", "id")
    types: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:
            REGISTRY[cls.TYPE] = cls

    def __post_init__(self) -> None:
        if not self.type and self.TYPE:
            object.__setattr__(self, "type", self.TYPE)

    def to_json(self, *, keep_extra: bool = False) -> JSON:
        """Compacted JSON-LD with `@context = OUR_CONTEXT` and only modelled terms.

        With `keep_extra`, unmodelled keys are written back too, and the sender's
        `@context` (kept in `extra`) replaces ours so that those keys stay defined.
        """
        body = write_node(self, keep_extra=keep_extra)
        context = body.pop("@context", None) or copy.deepcopy(terms.OUR_CONTEXT)
        return {"@context": context, **body}


def normalize_types(value: Any) -> list[str]:
    """`type` as a list of compact names: `as:Note` and full AS2 IRIs become `Note`."""
    out = []
    for item in jsonld.as_list(value):
        if isinstance(item, str) and item:
            for prefix in _AS2_PREFIXES:
                item = item.removeprefix(prefix)
            out.append(item)
    return out


def read_node(data: Mapping[str, Any], default: str = "Object") -> Node:
    """Read one JSON object into the model for its first known type.

    An unknown type keeps its name on the model chosen by `default` (or guessed from
    the keys when `default` is the generic Object).
    """
    types = normalize_types(data.get("type"))
    cls = _choose(types, data, default)
    primary = next((t for t in types if t in REGISTRY), types[0] if types else "")
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    known = {"type"}
    for f in dataclasses.fields(cls):
        key = f.metadata.get("key")
        if key is None:
            continue
        known.add(key)
        raw = data.get(key)
        value = _read(raw, f.metadata)
        if (_blank(value) or _lossy(value, raw)) and not (_blank(raw) or raw == ""):
            extra[key] = raw
        if not _blank(value):
            values[f.name] = value
    if not types and not (_blank(data.get("type")) or data.get("type") == ""):
        extra["type"] = data["type"]
    extra.update((k, v) for k, v in data.items() if k not in known)
    return cls(type=primary, types=tuple(types), extra=extra, **values)


def _blank(value: Any) -> bool:
    """None or an empty container (an empty string and False are values)."""
    return value is None or (isinstance(value, list | tuple | Mapping) and not value)


def _lossy(value: Any, raw: Any) -> bool:
    """A list item did not survive reading (or a scalar field got a longer list)."""
    if isinstance(value, tuple):
        return len(value) != len(jsonld.as_list(raw))
    return isinstance(raw, list) and len(raw) > 1


def _choose(types: list[str], data: Mapping[str, Any], default: str) -> type[Node]:
    for name in types:
        if name in REGISTRY:
            return REGISTRY[name]
    if default == "Object":
        if "actor" in data:
            default = "Activity"
        elif "inbox" in data:
            default = "Actor"
        elif any(k in data for k in ("totalItems", "items", "orderedItems")):
            default = "Collection"
    return REGISTRY.get(default, Node)


def _read(raw: Any, meta: Mapping[str, Any]) -> Any:
    kind = meta["kind"]
    if raw is None:
        return None
    if kind == "ids":
        return tuple(jsonld.ids(raw))
    if kind == "nodes":
        refs = (_ref(item, meta["cls"]) for item in jsonld.as_list(raw))
        return tuple(r for r in refs if r is not None)
    item = raw if isinstance(raw, Mapping) else jsonld.first(raw)
    if kind == "node":
        return _ref(item, meta["cls"])
    if kind == "id":
        return jsonld.get_id(item)
    if kind == "map":
        return dict(item) if isinstance(item, Mapping) else None
    return item if _SCALARS[kind](item) else None


def _ref(item: Any, cls: str) -> Ref | None:
    if isinstance(item, Mapping):
        return read_node(item, cls or "Object")
    if isinstance(item, str) and item:
        return item
    return None


def write_node(node: Node, *, keep_extra: bool = False) -> JSON:
    """The node's modelled fields as compacted JSON (no @context added)."""
    out: JSON = {}
    if node.id:
        out["id"] = node.id
    if node.type:
        out["type"] = node.type
    for f in dataclasses.fields(node):
        key = f.metadata.get("key")
        if key is None or key == "id":
            continue
        value = _write(getattr(node, f.name), f.metadata, keep_extra)
        if not _blank(value):
            out[key] = value
    if keep_extra:  # the sender's raw value wins: it is the lossless original
        out.update(node.extra)
    return out


def _write(value: Any, meta: Mapping[str, Any], keep_extra: bool) -> Any:
    if isinstance(value, tuple):
        items = [_write(v, meta, keep_extra) for v in value]
        return items[0] if meta["single"] and len(items) == 1 else items
    if isinstance(value, Node):
        return write_node(value, keep_extra=keep_extra)
    if isinstance(value, Mapping):
        return embed(value)
    return value


def embed(value: Any) -> Any:
    """A value ready to embed in a document we emit: models are written, nested
    `@context` and None values are dropped, tuples become lists."""
    if isinstance(value, Node):
        return write_node(value)
    if isinstance(value, Mapping):
        return {k: embed(v) for k, v in value.items() if v is not None and k != "@context"}
    if isinstance(value, list | tuple):
        return [embed(v) for v in value if v is not None]
    return value


def ref_id(ref: Ref | None) -> str | None:
    """The id of a Ref: the string itself, a node's id, or a Link's href."""
    if isinstance(ref, str):
        return ref
    if ref is None:
        return None
    return ref.id or getattr(ref, "href", None)
