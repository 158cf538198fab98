"""Addressing: who an activity or object is for, and how visible it is."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

from activitypub.jsonld import ids
from activitypub.terms import PUBLIC_SPELLINGS

_ADDRESS_KEYS = ("to", "cc", "bto", "bcc", "audience")


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # Public in `to`
    UNLISTED = "unlisted"  # Public only in `cc`
    FOLLOWERS = "followers"  # the author's followers collection
    MEMBERS = "members"  # a group's members collection
    DIRECT = "direct"  # named recipients only


def is_public(value: Any) -> bool:
    """True if `value` (an id, object or list) names the Public collection, in any spelling."""
    return any(i in PUBLIC_SPELLINGS for i in ids(value))


def classify(
    activity_or_object: Mapping[str, Any],
    followers_url: str | None,
    *,
    members_urls: Iterable[str] = (),
) -> Visibility:
    """Visibility from `to`/`cc` (and `bto`/`bcc`).

    If the document carries no addressing at all and embeds an object, that object's
    addressing is used. An unknown `followers_url` never widens visibility.
    """
    doc = _addressed(activity_or_object)
    to, cc = doc.get("to"), doc.get("cc")
    if is_public(to):
        return Visibility.PUBLIC
    if is_public(cc):
        return Visibility.UNLISTED
    addressed = set(ids(to)) | set(ids(cc)) | set(ids(doc.get("bto"))) | set(ids(doc.get("bcc")))
    if followers_url and followers_url in addressed:
        return Visibility.FOLLOWERS
    if addressed & set(members_urls):
        return Visibility.MEMBERS
    return Visibility.DIRECT


def _addressed(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    if any(doc.get(k) for k in ("to", "cc", "bto", "bcc")):
        return doc
    inner = doc.get("object")
    return inner if isinstance(inner, Mapping) else doc


def strip_private_audience(activity: Mapping[str, Any]) -> dict[str, Any]:
    """A copy without `bto`/`bcc`, also removed from an embedded object (for delivery)."""
    out = {k: v for k, v in activity.items() if k not in ("bto", "bcc")}
    inner = out.get("object")
    if isinstance(inner, Mapping):
        out["object"] = {k: v for k, v in inner.items() if k not in ("bto", "bcc")}
    return out


def recipients(activity: Mapping[str, Any]) -> list[str]:
    """Every addressee (to, cc, bto, bcc, audience), deduplicated in order, without Public."""
    seen: dict[str, None] = {}
    for key in _ADDRESS_KEYS:
        for target in ids(activity.get(key)):
            if target not in PUBLIC_SPELLINGS:
                seen.setdefault(target, None)
    return list(seen)
