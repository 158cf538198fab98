"""Interfaces that `federation` expects its callers to provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from activitypub.keys import PublicKey


class RequestSigner(Protocol):
    def __call__(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]: ...


@dataclass(frozen=True)
class ResolvedKey:
    """A public key and the actor that owns it (checked: the actor lists the key)."""

    key_id: str
    owner: str
    public_key: PublicKey
    fetched_at: datetime


class HostGuard(Protocol):
    """Says whether we may talk to a host (a lower-case host name, no port): None when we
    may, else the reason we refuse (the instance's domain policy)."""

    async def __call__(self, host: str) -> str | None: ...


class KeyResolver(Protocol):
    """Finds public keys: from the cache, else by a signed fetch; `refresh` forces a refetch
    (at most once every few minutes per key, so key rotation costs no amplification)."""

    async def resolve(self, key_id: str, *, refresh: bool = False) -> ResolvedKey | None: ...


class InboxStore(Protocol):
    """Commits a received activity; False when its id was seen before."""

    async def store(self, activity_id: str, actor: str, document: dict[str, Any], recipient: str | None) -> bool: ...


class InboxPolicy(Protocol):
    async def is_blocked(self, actor: str) -> bool: ...

    async def is_known_actor(self, actor: str) -> bool: ...


class FastIngest(Protocol):
    """Optional hot path for a sender whose key is already in memory: nothing needs fetching,
    so the policy check can wait and run in the same database statement as the insert."""

    def remembered_key(self, key_id: str) -> ResolvedKey | None: ...

    async def store_unless_refused(
        self, activity_id: str, actor: str, document: dict[str, Any], recipient: str | None
    ) -> bool | None:
        """True: stored; False: seen before; None: the policy refuses the actor (not stored)."""
        ...
