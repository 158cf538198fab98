"""The instance's domain policy for outgoing requests, kept in memory: the host guard of the
federation HTTP client. A host on a suspended domain (or, in allowlist-only mode, on a
domain not on the allowlist) is refused before any connection, so neither a delivery nor
a fetch (actor, object, key, WebFinger) reaches it.

The suspended and allowed domains are read in one query when they may have changed, so a
request costs no query: at once after this process changed them, at once when any process
changed them (a NOTIFY from the triggers of migration 0024, heard on a listening connection
of its own), and at most every REFRESH_SECONDS anyway, which covers a lost listening
connection; that one is made again after a bounded, growing wait. Our own host is never
refused.
"""

from __future__ import annotations

import asyncio
import logging
import time

from federation.http import RequestFailed
from server.listening import listen_forever
from server.storage import instance_policy
from server.storage.pool import Pool, is_connection_error

log = logging.getLogger(__name__)
REFRESH_SECONDS = 15.0
LISTEN_RETRY_FIRST_SECONDS = 1.0
LISTEN_RETRY_MAX_SECONDS = 30.0
LISTEN_PING_SECONDS = 30.0  # how often the listening connection is checked


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

    async def follow_changes(
        self,
        dsn: str,
        stop: asyncio.Event,
        *,
        first_retry: float = LISTEN_RETRY_FIRST_SECONDS,
        ping_every: float = LISTEN_PING_SECONDS,
    ) -> None:
        """Forget the policy whenever any process changes it, until `stop` is set. A
        listening connection that cannot be made or is lost (closed, or no longer
        answering) is logged and made again after 1, 2, 4 … seconds, at most
        LISTEN_RETRY_MAX_SECONDS; each (re)connection forgets the policy too, for changes
        made while nobody listened. Meanwhile the periodic refresh goes on. Never raises
        (server.listening)."""
        await listen_forever(
            lambda: instance_policy.listen_for_policy_changes(dsn, self.forget),
            stop,
            on_connected=lambda _again: self.forget(),
            log=log,
            name="domain policy",
            purpose="changes",
            first_retry=first_retry,
            retry_max=LISTEN_RETRY_MAX_SECONDS,
            ping_every=ping_every,
        )
