"""Validators (ETag, Last-Modified) of a feed computed from its version (one aggregate
query, storage/feed_versions.py) instead of from its rendered body: a client whose copy is
current gets 304 before anything is read or rendered.

The ETag hashes what decides the bytes: the feed's identity (format, title, links, size
limit), the version of the rendering code (RENDERING) and the content's version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from server.storage.feed_versions import FeedVersion

RENDERING = "2"  # raise when the feed or calendar rendering changes its output


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime


def validators_for(version: FeedVersion, identity: tuple[object, ...], *, fallback: datetime) -> Validators:
    """ETag and Last-Modified (whole seconds, UTC) of a feed in `version`."""
    changed = version.changed_at or fallback
    key = "|".join(
        [RENDERING, repr(identity), str(version.items), changed.astimezone(UTC).isoformat(), str(version.id_sum)]
    )
    etag = '"v' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'
    return Validators(etag=etag, last_modified=changed.astimezone(UTC).replace(microsecond=0))
