"""Background workers: the inbox queue and the delivery queue, until stopped.

Both queues are rows in PostgreSQL claimed with `FOR UPDATE SKIP LOCKED` and a lease
(`locked_until`): a worker killed mid-job leaves rows that another worker claims again
when the lease expires, so nothing answered with 202 or queued for delivery is lost.
A stop request lets jobs in flight finish, then returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
from collections import Counter, OrderedDict, deque
from datetime import datetime, timedelta

from activitypub.jsonparse import dumps
from activitypub.signatures import Scheme
from federation import hoststate
from federation.delivery import DeliveryResult, deliver
from federation.dispatch import Handled
from federation.http import HttpClient
from federation.ports import RequestSigner
from federation.retry import Outcome, next_attempt
from server.config import Settings
from server.handlers import dispatcher
from server.handlers.context import HandlerContext
from server.keyring import KeyRing, SigningKeys
from server.metrics import Metrics
from server.remote import RemoteActors, make_signer, utcnow
from server.storage import actors as actor_store
from server.storage import deliveries as delivery_store
from server.storage import inbox as inbox_store
from server.storage.deliveries import Delivery, HostRow
from server.storage.inbox import InboxItem
from server.storage.pool import Pool, is_connection_error

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
CHANNEL = "buurtplein_work"
INBOX_MAX_ATTEMPTS = 5
BATCH = 20
HOST_BUSY_RETRY = timedelta(seconds=2)
BODY_CACHE = 64  # serialised outgoing activities kept for the deliveries of each
INBOX_IN_FLIGHT = 32  # claimed activities waiting or running, per unit of `workers`
# claimed activities of one sender waiting or running here: a sender whose activities are
# slow (its objects on a black-holed host) holds a few slots, never all of them
PER_SENDER_IN_HAND = 4


def to_state(row: HostRow) -> hoststate.HostState:
    return hoststate.HostState(
        host=row.host,
        consecutive_failures=row.consecutive_failures,
        paused_until=row.paused_until,
        failure_days=row.failure_days,
        unavailable_since=row.unavailable_since,
        last_success_at=row.last_success_at,
    )


def to_row(state: hoststate.HostState, scheme: str | None) -> HostRow:
    return HostRow(
        host=state.host,
        consecutive_failures=state.consecutive_failures,
        paused_until=state.paused_until,
        failure_days=state.failure_days,
        unavailable_since=state.unavailable_since,
        last_success_at=state.last_success_at,
        signature_scheme=scheme,
    )


class DoneBatch:
    """Successful deliveries are marked done in batches (one statement for many rows).
    Rows not yet flushed when a process dies stay leased and are sent again after the
    lease: at least once, as receivers expect."""

    SIZE = 64
    DELAY = 0.05  # seconds a done row may wait for companions

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._ids: list[int] = []
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None

    async def add(self, delivery_id: int) -> None:
        self._ids.append(delivery_id)
        if len(self._ids) >= self.SIZE:
            await self.flush()
        elif self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.DELAY)
        try:
            await self.flush()
        except Exception as exc:
            if not is_connection_error(exc):
                log.error("could not mark deliveries done", exc_info=exc)

    async def flush(self) -> None:
        async with self._lock:
            ids, self._ids = self._ids, []
            if ids:
                try:
                    await delivery_store.finish_deliveries_done(self._pool, ids)
                except Exception:
                    self._ids.extend(ids)  # the database is away: keep them for the next flush
                    raise


class Workers:
    def __init__(
        self,
        settings: Settings,
        pool: Pool,
        http: HttpClient,
        keyring: KeyRing,
        remote: RemoteActors,
        metrics: Metrics,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.http = http
        self.keyring = keyring
        self.remote = remote
        self.metrics = metrics
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        # names this process's leases on senders (server/storage/inbox.py, claim_items)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stopping = asyncio.Event()
        self._inbox_wake = asyncio.Event()
        self._delivery_wake = asyncio.Event()
        self._bodies: OrderedDict[int, bytes] = OrderedDict()
        self._done = DoneBatch(pool)
        # Deliveries in flight per host: rows for a saturated host go back to the queue
        # instead of holding slots that other hosts could use (a black-holed host would
        # otherwise fill every slot while its requests wait for their timeouts).
        self._host_load: Counter[str] = Counter()
        self._host_waiting: dict[str, deque[Delivery]] = {}
        self._running: set[asyncio.Task[None]] = set()
        # set when half the delivery slots are free again (cheaper to wait on than
        # asyncio.wait over every running delivery after each one that finishes)
        self._slots_free = asyncio.Event()

    def wake_inbox(self) -> None:
        self._inbox_wake.set()

    def wake_delivery(self) -> None:
        self._delivery_wake.set()

    async def stop(self) -> None:
        self._stopping.set()
        self._inbox_wake.set()
        self._delivery_wake.set()

    async def run(self) -> None:
        await asyncio.gather(self._inbox_loop(), self._delivery_loop(), self._listen())

    async def _listen(self) -> None:
        """Wake the loops on NOTIFY from any process; polling covers a lost connection."""
        while not self._stopping.is_set():
            try:
                async with self.pool.acquire() as conn:
                    await conn.add_listener(CHANNEL, self._notified)
                    try:
                        await self._stopping.wait()
                    finally:
                        await conn.remove_listener(CHANNEL, self._notified)
            except Exception as exc:
                await self._database_trouble(exc)

    def _notified(self, conn: object, pid: int, channel: str, payload: str) -> None:
        if payload == "inbox":
            self._inbox_wake.set()
        else:
            self._delivery_wake.set()

    async def _sleep(self, wake: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(wake.wait(), POLL_SECONDS)
        except TimeoutError:
            pass
        wake.clear()

    # -- inbox ---------------------------------------------------------------------------

    async def _inbox_loop(self) -> None:
        """Claim received activities while fewer than INBOX_IN_FLIGHT wait or run. Each sender
        has one chain that handles its activities in the order received (a Follow is never
        overtaken by its own Undo); different senders run side by side, so a black-holed
        fetch for one peer's activity holds up no one else's."""
        chains: dict[str, deque[InboxItem]] = {}
        running: set[asyncio.Task[None]] = set()

        async def run_chain(sender: str) -> None:
            queue = chains[sender]
            try:
                while queue:
                    await self.process_item(queue[0])
                    queue.popleft()
            finally:
                del chains[sender]

        in_flight = INBOX_IN_FLIGHT * max(1, self.settings.workers)
        while not self._stopping.is_set():
            waiting = sum(len(q) for q in chains.values())
            if waiting >= in_flight:
                await asyncio.wait(running, timeout=POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                items = await inbox_store.claim_items(
                    self.pool,
                    min(BATCH, in_flight - waiting),
                    self.settings.worker_lease_seconds,
                    worker=self.name,
                    skip_actors=[sender for sender, queue in chains.items() if len(queue) >= PER_SENDER_IN_HAND],
                    per_actor=PER_SENDER_IN_HAND,
                )
            except Exception as exc:
                await self._database_trouble(exc)
                continue
            for item in items:
                if item.actor_ap_id in chains:
                    chains[item.actor_ap_id].append(item)
                    continue
                chains[item.actor_ap_id] = deque([item])
                task = asyncio.create_task(run_chain(item.actor_ap_id))
                running.add(task)
                task.add_done_callback(running.discard)
            if not items:
                await self._sleep(self._inbox_wake)
        pending: set[asyncio.Task[None]] = set()
        if running:
            # Finish what is in hand (workers stop between jobs); the rest stays leased and is
            # claimed again after the lease.
            _, pending = await asyncio.wait(running, timeout=self.settings.worker_stop_grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if not pending:  # nothing left in hand: other processes may take these senders now
            with contextlib.suppress(Exception):
                await inbox_store.release_senders(self.pool, self.name)

    async def process_item(self, item: InboxItem) -> None:
        kind = str(item.document.get("type"))
        try:
            sender = await self.remote.actor(item.actor_ap_id)
            if sender is None:
                raise LookupError("sender unknown")
            ctx = HandlerContext(
                pool=self.pool,
                settings=self.settings,
                remote=self.remote,
                keyring=self.keyring,
                http=self.http,
                sender=sender,
                recipient_id=item.recipient_id,
                clock=utcnow,
            )
            result = await dispatcher.dispatch(ctx, item.document)
            state = "done" if isinstance(result, Handled) else "ignored"
            detail = result.detail if isinstance(result, Handled) else result.reason
            await inbox_store.finish_item(self.pool, item.id, state, None if state == "done" else detail)
            self.metrics.count_handled(kind, state)
            log.debug("activity processed", extra={"activity": item.activity_id, "result": detail})
            self.wake_delivery()
        except Exception as exc:
            await self._inbox_failure(item, kind, exc)

    async def _inbox_failure(self, item: InboxItem, kind: str, exc: Exception) -> None:
        if is_connection_error(exc):
            return  # the lease expires and the row is claimed again once the database is back
        log.warning(
            "activity processing failed",
            exc_info=exc,
            extra={"activity": item.activity_id, "attempts": item.attempts},
        )
        try:
            if item.attempts >= INBOX_MAX_ATTEMPTS:
                await inbox_store.finish_item(self.pool, item.id, "failed", str(exc)[:500])
                self.metrics.count_handled(kind, "failed")
            else:
                delay = timedelta(seconds=30 * 2**item.attempts)
                await inbox_store.retry_item(self.pool, item.id, utcnow() + delay, str(exc)[:500])
        except Exception as inner:
            await self._database_trouble(inner)

    async def _database_trouble(self, exc: Exception) -> None:
        if not is_connection_error(exc):
            log.error("worker error", exc_info=exc)
        else:
            log.warning("database unavailable; worker waits")
        await asyncio.sleep(1.0)

    # -- delivery ------------------------------------------------------------------------

    async def _delivery_loop(self) -> None:
        """Keep up to `delivery_concurrency` deliveries in flight: claim a batch whenever half
        the slots are free; sleep only when the queue has nothing ready. At most
        `per_host_concurrency` run for one host; up to twice as many more wait here for
        that host, and the rest go back to the queue, so a black-holed host never takes
        every slot."""
        capacity = self.settings.delivery_concurrency
        while not self._stopping.is_set():
            free = capacity - len(self._running) - sum(len(q) for q in self._host_waiting.values())
            if self._running and free < max(1, capacity // 2):
                self._slots_free.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._slots_free.wait(), timeout=POLL_SECONDS)
                continue
            try:
                claimed = await delivery_store.claim_deliveries(
                    self.pool,
                    free,
                    self.settings.worker_lease_seconds,
                    skip_hosts=self._saturated_hosts(),
                    # what may run for a host plus what may wait for it here
                    per_host=2 * self.settings.per_host_concurrency,
                    known_activities=list(self._bodies),
                )
            except Exception as exc:
                await self._database_trouble(exc)
                continue
            busy = [d.id for d in claimed if not self._admit(d)]
            if busy:
                await self._release(busy)
            if len(claimed) < free:
                await self._done.flush()
                await self._sleep(self._delivery_wake)
        if self._running:
            # Let deliveries in flight finish; past the grace period cancel them: their rows
            # stay leased and are sent again after the lease expires (at least once).
            _, pending = await asyncio.wait(self._running, timeout=self.settings.worker_stop_grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self._done.flush()

    def _admit(self, delivery: Delivery) -> bool:
        """Start the delivery, or let it wait for its host; False: its host has enough."""
        limit = self.settings.per_host_concurrency
        if self._host_load[delivery.host] < limit:
            self._start(delivery)
            return True
        waiting = self._host_waiting.setdefault(delivery.host, deque())
        # a claim holds at most 2 × limit rows of one host, and never for a host that is
        # already full here: they all fit, and none goes back to wait out HOST_BUSY_RETRY
        if len(waiting) < 2 * limit:
            waiting.append(delivery)
            return True
        return False

    def _saturated_hosts(self) -> list[str]:
        """Hosts with a full set of deliveries in flight here: not claimed for now."""
        limit = self.settings.per_host_concurrency
        return [host for host, load in self._host_load.items() if load >= limit]

    def _start(self, delivery: Delivery) -> None:
        self._host_load[delivery.host] += 1
        task = asyncio.create_task(self._deliver_one(delivery))
        self._running.add(task)
        task.add_done_callback(self._delivery_finished)

    def _delivery_finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        capacity = self.settings.delivery_concurrency
        waiting = sum(len(q) for q in self._host_waiting.values()) if self._host_waiting else 0
        if capacity - len(self._running) - waiting >= max(1, capacity // 2):  # the loop's test
            self._slots_free.set()

    def _host_done(self, host: str) -> None:
        self._host_load[host] -= 1
        waiting = self._host_waiting.get(host)
        if waiting and not self._stopping.is_set():
            self._start(waiting.popleft())
            if not waiting:
                del self._host_waiting[host]
        if self._host_load[host] <= 0:
            del self._host_load[host]
        if self._host_load[host] < self.settings.per_host_concurrency:
            self._delivery_wake.set()  # the host takes deliveries again

    async def _body(self, delivery: Delivery) -> bytes | None:
        """The serialised activity, kept for the last BODY_CACHE activities (the claim
        leaves out the documents of those); None when the activity no longer exists."""
        body = self._bodies.get(delivery.activity_id)
        if body is None:
            document = delivery.document
            if document is None:  # known at the claim, dropped from the cache since
                document = await delivery_store.activity_document(self.pool, delivery.activity_id)
                if document is None:
                    return None
            body = dumps(document)
            self._bodies[delivery.activity_id] = body
            if len(self._bodies) > BODY_CACHE:
                self._bodies.popitem(last=False)
        return body

    async def _release(self, delivery_ids: list[int]) -> None:
        try:
            await delivery_store.release_deliveries(self.pool, delivery_ids, utcnow() + HOST_BUSY_RETRY)
        except Exception as exc:
            await self._database_trouble(exc)  # the lease expires and they are claimed again

    async def _deliver_one(self, delivery: Delivery) -> None:
        try:
            host = delivery.host_state
            if host.unavailable_since is not None:
                await delivery_store.finish_delivery(self.pool, delivery.id, "failed", "host unavailable")
                self.metrics.count_delivery("skipped_unavailable")
                return
            body = await self._body(delivery)
            if body is None:
                await delivery_store.finish_delivery(self.pool, delivery.id, "failed", "activity no longer stored")
                return
            signing = await self.keyring.for_actor(delivery.actor_id)
            result = await deliver(
                self.http,
                delivery.inbox_url,
                body,
                signer_for=lambda scheme: self._signer(signing, scheme),
                known_scheme=host.signature_scheme if host.signature_scheme in ("rfc9421", "cavage") else None,  # type: ignore[arg-type]
                now=utcnow,
            )
            await self._record(delivery, host, result)
        except Exception as exc:
            if not is_connection_error(exc):
                log.error("delivery error", exc_info=exc, extra={"delivery": delivery.id})
        finally:
            self._host_done(delivery.host)

    def _signer(self, signing: SigningKeys, scheme: Scheme) -> RequestSigner:
        return make_signer(signing, scheme=scheme)

    async def _record(self, delivery: Delivery, host: HostRow, result: DeliveryResult) -> None:
        now = utcnow()
        self.metrics.count_delivery(result.outcome.name.lower())
        if result.outcome is Outcome.DONE:
            await self._done.add(delivery.id)
            if not _healthy_and_recent(host, result.scheme, now):
                await delivery_store.update_host(
                    self.pool,
                    delivery.host,
                    lambda row: to_row(hoststate.on_success(to_state(row), now), result.scheme),
                )
            return
        if result.outcome in (Outcome.RETRY, Outcome.RETRY_OTHER_SCHEME):
            at = next_attempt(delivery.attempts, now, retry_after=result.retry_after, rng=self.rng)
            if at is None:
                await delivery_store.finish_delivery(self.pool, delivery.id, "failed", result.error)
            else:
                await delivery_store.reschedule_delivery(self.pool, delivery.id, at, result.error)
            await delivery_store.update_host(
                self.pool,
                delivery.host,
                lambda row: to_row(hoststate.on_failure(to_state(row), now), row.signature_scheme),
            )
            return
        if result.outcome is Outcome.GONE:
            # Before the row is finished: a crash in between retries the delivery (and marks
            # again), and whoever sees the row failed sees the actor gone.
            await actor_store.mark_inbox_gone(self.pool, delivery.inbox_url)
        await delivery_store.finish_delivery(self.pool, delivery.id, "failed", result.error)


def _healthy_and_recent(host: HostRow, scheme: str, now: datetime) -> bool:
    """A success changes nothing worth a write for a healthy host seen working recently."""
    return (
        host.consecutive_failures == 0
        and host.paused_until is None
        and host.signature_scheme == scheme
        and host.last_success_at is not None
        and now - host.last_success_at < timedelta(minutes=1)
    )
