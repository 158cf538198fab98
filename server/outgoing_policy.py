"""The instance's domain policy for outgoing requests, kept in memory: the host guard of the
federation HTTP client. A host on a suspended domain (or, in allowlist-only mode, on a
domain not on the allowlist) is refused before any connection, so neither a delivery nor
a fetch (actor, object, key, WebFinger) reaches it.

The suspended and allowed domains are read in one query at most every REFRESH_SECONDS
(and at once after this process changed them), so a request costs no query. Our own host
is never refused.
"""

from __future__ import annotations

import asyncio
import logging
import time

from federation.http import RequestFailed
from server.storage import instance_policy
from server.storage.pool import Pool, is_connection_error

log = logging.getLogger(__name__)
REFRESH_SECONDS = 15.0


class OutgoingPolicy:
    def __init__(self, pool: Pool, *, allowlist_only: bool, own_host: str) -> None:
        self._pool = pool
        self._allowlist_only = allowlist_only
        self._own_host = instance_policy.refusal_domains(own_host)[0] if own_host else ""
        self._suspended: frozenset[str] = frozenset()
        self._allowed: frozenset[str] = frozenset()
        self._loaded_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        """Read the policy again before the next request (this process just changed it)."""
        self._loaded_at = None
        self._generation += 1

    async def __call__(self, host: str) -> str | None:
        """None when requests to `host` (a host name, no port) may be made, else why not."""
        if not host or host == self._own_host:
            return None
        await self._fresh()
        domains = instance_policy.refusal_domains(host)
        if any(domain in self._suspended for domain in domains):
            reason = "domain suspended"
        elif self._allowlist_only and not any(domain in self._allowed for domain in domains):
            reason = "domain not on the allowlist"
        else:
            return None
        log.info("outgoing request refused", extra={"host": host[:200], "reason": reason})
        return reason

    async def _fresh(self) -> None:
        if self._loaded_at is not None and time.monotonic() - self._loaded_at < REFRESH_SECONDS:
            return
        async with self._lock:
            if self._loaded_at is not None and time.monotonic() - self._loaded_at < REFRESH_SECONDS:
                return
            generation, started = self._generation, time.monotonic()
            try:
                self._suspended, self._allowed = await instance_policy.outgoing_policy(self._pool)
            except Exception as exc:
                if not is_connection_error(exc):
                    raise
                if self._loaded_at is None and generation == 0:
                    raise RequestFailed("domain policy unavailable") from exc
                log.warning("domain policy not renewed", extra={"reason": str(exc)[:200]})
            if generation == self._generation:  # else changed meanwhile: read it again next time
                self._loaded_at = started
