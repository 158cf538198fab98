"""Who may say what: the signer owns the actor; ids share the actor's origin; objects
embedded from another origin are not trusted as sent (reduced to their id, refetched later)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

# Activities whose object the actor must own (same origin as the actor).
OWNING_TYPES = frozenset({"Create", "Update", "Delete"})


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str


# The common shape: a lower-case http(s) URL with a plain host name and maybe a port.
_PLAIN = re.compile(r"(https?)://([a-z0-9.-]+)(?::([0-9]{1,5}))?(?=[/?#]|\Z)")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@lru_cache(maxsize=4096)
def origin(url: str) -> str:
    """scheme://host[:port] of `url`; ValueError when it cannot be parsed (a port out of
    range or not a number, a broken IPv6 literal). Cached: one activity names the same few
    URLs many times."""
    plain = _PLAIN.match(url)
    if plain is not None:
        scheme, host, digits = plain.groups()
        port = int(digits) if digits else None
        if port is not None and port > 65535:
            raise ValueError("Port out of range 0-65535")
        return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port and port != default else "")


def origin_or_none(url: str) -> str | None:
    """The origin of `url`, or None when it cannot be parsed (such a URL shares no origin)."""
    try:
        return origin(url)
    except ValueError:
        return None


def value_id(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    if isinstance(value, list) and value:
        return value_id(value[0])
    return None


def check_envelope(activity: dict[str, Any]) -> Refusal | str:
    """The activity has an id, a type and one actor; returns the actor id or a refusal."""
    if not isinstance(activity.get("id"), str) or not activity["id"].startswith(("https://", "http://")):
        return Refusal(400, "activity without an http(s) id")
    if not isinstance(activity.get("type"), str | list):
        return Refusal(400, "activity without a type")
    actor = value_id(activity.get("actor"))
    if actor is None:
        return Refusal(400, "activity without an actor")
    if origin_or_none(activity["id"]) is None or origin_or_none(actor) is None:
        return Refusal(400, "activity or actor id is not a valid URL")
    return actor


def check_origins(activity: dict[str, Any], actor: str, signer_owner: str) -> Refusal | None:
    """The signer is the actor; the activity id and owned objects share the actor's origin."""
    if signer_owner != actor:
        return Refusal(401, "the signing key does not belong to the activity's actor")
    actor_origin = origin(actor)
    if origin(activity["id"]) != actor_origin:
        return Refusal(403, "activity id is on another origin than its actor")
    kind = activity_type(activity)
    if kind in OWNING_TYPES:
        object_id = value_id(activity.get("object"))
        if object_id is None:
            return Refusal(400, f"{kind} without an object id")
        if origin_or_none(object_id) != actor_origin:
            return Refusal(403, f"{kind} of an object on another origin than its actor")
        embedded = activity.get("object")
        if isinstance(embedded, dict) and kind != "Delete":
            owner = value_id(embedded.get("attributedTo")) or value_id(embedded.get("actor"))
            # A server may attribute an object to another of its own actors (Mobilizon: an
            # event by a member, attributed to the group); never to an actor elsewhere.
            foreign_owner = owner is not None and owner != actor and origin_or_none(owner) != actor_origin
            if foreign_owner and embedded.get("type") not in ACTOR_TYPES:
                return Refusal(403, f"{kind} of an object attributed to an actor on another server")
    return None


ACTOR_TYPES = frozenset({"Application", "Group", "Person", "Organization", "Service"})


def activity_type(activity: dict[str, Any]) -> str:
    kind = activity.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if isinstance(k, str)), "")
    return kind if isinstance(kind, str) else ""


def reduce_foreign_objects(activity: dict[str, Any], actor: str) -> dict[str, Any]:
    """Replace an embedded object from another origin by its id: it is refetched from its
    origin by the worker, never trusted as the sender wrote it (e.g. a forged Announce)."""
    embedded = activity.get("object")
    if not isinstance(embedded, dict):
        return activity
    object_id = value_id(embedded)
    object_origin = None if object_id is None else origin_or_none(object_id)
    if object_origin is not None and object_origin == origin_or_none(actor):
        return activity
    reduced = dict(activity)
    reduced["object"] = object_id
    return reduced
