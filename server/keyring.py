"""Our private keys, loaded from the database once per process and kept as key objects
(parsing an RSA PEM with validation costs tens of milliseconds)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from activitypub import keys
from activitypub.keys import PrivateKey
from server.storage import actors as actor_store
from server.storage.pool import Pool


@dataclass(frozen=True)
class SigningKeys:
    actor_ap_id: str
    rsa_key_id: str
    rsa: PrivateKey
    ed25519_key_id: str | None
    ed25519: PrivateKey | None


CACHE_SECONDS = 60.0  # another process may rotate a key: reload at most this late


class KeyRing:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._cache: dict[int, tuple[float, SigningKeys]] = {}
        self._lock = asyncio.Lock()

    def _fresh(self, actor_id: int) -> SigningKeys | None:
        entry = self._cache.get(actor_id)
        if entry is None or time.monotonic() - entry[0] > CACHE_SECONDS:
            return None
        return entry[1]

    async def for_actor(self, actor_id: int) -> SigningKeys:
        cached = self._fresh(actor_id)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._fresh(actor_id)
            if cached is not None:
                return cached
            rows = await actor_store.keys_of_actor(self._pool, actor_id)
            rsa_row = next((r for r in rows if r.algorithm == "rsa" and r.private_pem), None)
            ed_row = next((r for r in rows if r.algorithm == "ed25519" and r.private_pem), None)
            if rsa_row is None or rsa_row.private_pem is None:
                raise LookupError(f"actor {actor_id} has no private key")
            rsa_key = await asyncio.to_thread(keys.load_private_key, rsa_row.private_pem)
            ed_key = keys.load_private_key(ed_row.private_pem) if ed_row and ed_row.private_pem else None
            loaded = SigningKeys(
                actor_ap_id=rsa_row.actor_ap_id,
                rsa_key_id=rsa_row.key_id,
                rsa=rsa_key,
                ed25519_key_id=ed_row.key_id if ed_row else None,
                ed25519=ed_key,
            )
            self._cache[actor_id] = (time.monotonic(), loaded)
            return loaded

    def forget(self, actor_id: int) -> None:
        """Drop a cached key (after key rotation)."""
        self._cache.pop(actor_id, None)
