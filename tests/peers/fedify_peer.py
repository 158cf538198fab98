"""Run the Fedify-based ActivityPub peer (tests/peers/fedify/server.mjs) from pytest.

The peer is an independent implementation (Fedify 1.5.9 on Node) used to check that
Buurtplein interoperates with another server.  It listens on a loopback address only
and is driven through a small JSON control API under ``/_control/``.

Typical use::

    if not FedifyPeer.is_available():
        pytest.skip(FedifyPeer.unavailable_reason())
    peer = FedifyPeer(host="127.0.0.5")
    await peer.start()
    try:
        await peer.follow("http://127.0.0.1:8080/users/alice")
        ...
    finally:
        await peer.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

PEER_DIR = Path(__file__).resolve().parent / "fedify"
SERVER_SCRIPT = PEER_DIR / "server.mjs"
IDENTIFIER = "peer"

JsonDict = dict[str, Any]


class FedifyPeerError(RuntimeError):
    """The peer failed to start or a control call failed."""


class FedifyPeer:
    """A Fedify ActivityPub server running as a Node subprocess on a loopback address."""

    def __init__(
        self,
        host: str = "127.0.0.5",
        port: int = 0,
        *,
        node: str | None = None,
        start_timeout: float = 20.0,
        log_level: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
            raise ValueError(f"peer host must be a loopback address (127.0.0.0/8), not {host}")
        self.host = host
        self.port = port  # 0 = let the peer pick a free port; known after start()
        self.node = node or shutil.which("node") or "node"
        self.start_timeout = start_timeout
        self.log_level = log_level
        self.extra_env = dict(extra_env or {})
        self._proc: asyncio.subprocess.Process | None = None
        self._origin: str | None = None
        self._stderr: deque[str] = deque(maxlen=400)
        self._drains: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    # -- availability ---------------------------------------------------------

    @staticmethod
    def unavailable_reason() -> str | None:
        """Why the peer cannot run here, or None if it can."""
        if shutil.which("node") is None:
            return "node is not installed (the Fedify peer needs Node >= 20)"
        if not (PEER_DIR / "node_modules" / "@fedify" / "fedify" / "package.json").is_file():
            return f"Fedify peer not installed: run `npm ci` in {PEER_DIR}"
        return None

    @classmethod
    def is_available(cls) -> bool:
        """True when node is on PATH and tests/peers/fedify/node_modules is installed."""
        return cls.unavailable_reason() is None

    # -- addresses ------------------------------------------------------------

    @property
    def origin(self) -> str:
        """``http://HOST:PORT`` of the running peer."""
        if self._origin is None:
            raise FedifyPeerError("peer not started")
        return self._origin

    @property
    def authority(self) -> str:
        """``HOST:PORT`` (the domain part of the peer's acct: handle)."""
        return self.origin.removeprefix("http://")

    @property
    def actor_url(self) -> str:
        return f"{self.origin}/users/{IDENTIFIER}"

    @property
    def inbox_url(self) -> str:
        return f"{self.actor_url}/inbox"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.origin}/inbox"

    @property
    def followers_url(self) -> str:
        return f"{self.actor_url}/followers"

    @property
    def acct(self) -> str:
        """WebFinger resource of the peer's actor: ``acct:peer@HOST:PORT``."""
        return f"acct:{IDENTIFIER}@{self.authority}"

    @property
    def webfinger_url(self) -> str:
        return f"{self.origin}/.well-known/webfinger?resource={self.acct}"

    def stderr_tail(self, lines: int = 60) -> str:
        """The last lines the peer wrote to stderr (for assertion messages)."""
        return "\n".join(list(self._stderr)[-lines:])

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        if self._proc is not None:
            raise FedifyPeerError("peer already started")
        reason = self.unavailable_reason()
        if reason is not None:
            raise FedifyPeerError(reason)
        env = dict(os.environ)
        env.update(self.extra_env)
        env["PEER_HOST"] = self.host
        env["PEER_PORT"] = str(self.port)
        if self.log_level:
            env["PEER_LOG"] = self.log_level
        self._proc = await asyncio.create_subprocess_exec(
            self.node,
            str(SERVER_SCRIPT),
            cwd=str(PEER_DIR),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._drains.append(asyncio.create_task(self._drain(self._proc.stderr, self._stderr)))
        try:
            line = await asyncio.wait_for(self._read_ready(), timeout=self.start_timeout)
        except (TimeoutError, FedifyPeerError) as exc:
            await self.stop()
            raise FedifyPeerError(
                f"Fedify peer did not become ready within {self.start_timeout}s: {exc!r}\nstderr:\n{self.stderr_tail()}"
            ) from exc
        self._origin = line.removeprefix("READY ").strip()
        self.port = int(self._origin.rsplit(":", 1)[1])
        self._drains.append(asyncio.create_task(self._drain(self._proc.stdout, None)))
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def _read_ready(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        for _ in range(1000):  # bounded; the READY line is normally the first one
            raw = await self._proc.stdout.readline()
            if not raw:
                raise FedifyPeerError(f"peer exited early (rc={self._proc.returncode})")
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("READY "):
                return line
            self._stderr.append(f"[stdout] {line}")
        raise FedifyPeerError("no READY line in the peer's output")

    @staticmethod
    async def _drain(stream: asyncio.StreamReader, sink: deque[str] | None) -> None:
        while True:
            raw = await stream.readline()
            if not raw:
                return
            if sink is not None:
                sink.append(raw.decode("utf-8", "replace").rstrip("\n"))

    async def stop(self) -> None:
        """SIGTERM the peer, SIGKILL it after 5 s if it has not exited."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        proc = self._proc
        if proc is not None:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), timeout=5.0)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()
            self._proc = None
        for task in self._drains:
            try:
                await asyncio.wait_for(task, timeout=2.0)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        self._drains.clear()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- control API ----------------------------------------------------------

    async def _call(self, method: str, path: str, body: JsonDict | None = None) -> Any:
        if self._session is None:
            raise FedifyPeerError("peer not started")
        url = f"{self.origin}/_control/{path}"
        async with self._session.request(method, url, json=body) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise FedifyPeerError(
                    f"{method} /_control/{path} -> {resp.status}: {text}\npeer stderr:\n{self.stderr_tail()}"
                )
            return await resp.json(content_type=None)

    async def health(self) -> JsonDict:
        result: JsonDict = await self._call("GET", "health")
        return result

    async def follow(self, target: str) -> JsonDict:
        """Send Follow to the actor at ``target`` (an http(s) actor URL). Returns {"id": ...}."""
        result: JsonDict = await self._call("POST", "follow", {"target": target})
        return result

    async def unfollow(self, target: str) -> JsonDict:
        """Send Undo(Follow) to the actor at ``target``."""
        result: JsonDict = await self._call("POST", "unfollow", {"target": target})
        return result

    async def post_note(self, content: str, *, in_reply_to: str | None = None, to: list[str] | None = None) -> str:
        """Create a public Note, deliver Create to all followers (and ``to`` actors).

        Returns the note's id (dereferenceable on the peer)."""
        body: JsonDict = {"content": content}
        if in_reply_to is not None:
            body["inReplyTo"] = in_reply_to
        if to is not None:
            body["to"] = list(to)
        result: JsonDict = await self._call("POST", "note", body)
        return str(result["id"])

    async def delete(self, note_id: str) -> JsonDict:
        """Delete a note created by ``post_note`` (Delete(Tombstone) to followers)."""
        result: JsonDict = await self._call("POST", "delete", {"id": note_id})
        return result

    async def received(self) -> list[JsonDict]:
        """Verified incoming activities, oldest first.

        Each entry: id, type, actor, object, verified, receivedAt, activity (raw JSON),
        and ``signatures`` ({httpSignature, ldSignature, objectProof}: which mechanisms
        verified on their own)."""
        result: list[JsonDict] = await self._call("GET", "received")
        return result

    async def followers(self) -> list[str]:
        result: list[str] = await self._call("GET", "followers")
        return result

    async def following(self) -> list[JsonDict]:
        """Follows this peer sent: [{target, followId, state: pending|accepted|rejected}]."""
        result: list[JsonDict] = await self._call("GET", "following")
        return result

    async def inbox_log(self) -> list[JsonDict]:
        """Every POST that reached an inbox, with status and headers, verified or not."""
        result: list[JsonDict] = await self._call("GET", "inbox-log")
        return result

    async def wait_for(
        self,
        predicate: Callable[[JsonDict], bool],
        *,
        within: float = 10.0,
        interval: float = 0.1,
    ) -> JsonDict:
        """Poll ``received()`` until an entry matches ``predicate``, for at most ``within`` s."""
        return await _poll(
            self.received,
            predicate,
            within=within,
            interval=interval,
            what="received activity",
            peer=self,
        )


async def _poll(
    fetch: Callable[[], Awaitable[list[JsonDict]]],
    predicate: Callable[[JsonDict], bool],
    *,
    within: float,
    interval: float,
    what: str,
    peer: FedifyPeer,
) -> JsonDict:
    deadline = time.monotonic() + within
    last: list[JsonDict] = []
    while True:
        last = await fetch()
        for item in last:
            if predicate(item):
                return item
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(interval)
    summary = [(i.get("type"), i.get("id")) for i in last]
    raise AssertionError(
        f"no matching {what} within {within}s; have {summary}\n"
        f"inbox log: {await peer.inbox_log()}\npeer stderr:\n{peer.stderr_tail()}"
    )
