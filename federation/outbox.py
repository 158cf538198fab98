"""Who receives an outgoing activity: one delivery per inbox, shared inboxes deduplicated,
bto/bcc stripped before sending (they name recipients, never shown to them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from activitypub.audience import strip_private_audience
from federation.hoststate import host_of


def delivery_targets(inboxes: Iterable[str], local_origin: str) -> list[tuple[str, str]]:
    """(inbox, host) pairs: deduplicated, http(s) only, never our own origin."""
    seen: set[str] = set()
    targets: list[tuple[str, str]] = []
    for inbox in inboxes:
        if inbox in seen or not inbox.startswith(("https://", "http://")):
            continue
        if inbox == local_origin or inbox.startswith(local_origin + "/"):
            continue
        try:
            host = host_of(inbox)
        except ValueError:
            continue
        seen.add(inbox)
        targets.append((inbox, host))
    return targets


def wire_form(activity: dict[str, Any]) -> dict[str, Any]:
    """What is sent: the activity without bto/bcc."""
    return strip_private_audience(activity)
