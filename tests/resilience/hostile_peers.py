"""Misbehaving servers on loopback, written on raw sockets so they can break HTTP itself:
black-holed, slow-loris, garbage, oversized and endless bodies, 503 with a day-long
Retry-After, endless collections. Each serves a valid Note at /note (so a fetch of the
note succeeds and a fetch of its author hits the misbehaviour) and misbehaves elsewhere.
Every loop here is bounded; a peer stops when its context exits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import orjson

from tests.harness import free_port

AS = "https://www.w3.org/ns/activitystreams"
MIB = 1024 * 1024
BEHAVIOURS = ("blackhole", "slowloris", "html", "badjson", "huge", "endless", "retry", "collection")


@dataclass
class HostilePeer:
    behaviour: str
    base: str
    connections: int = 0
    bytes_sent: int = 0
    requests: list[str] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def note(self) -> dict[str, object]:
        return {
            "@context": AS,
            "id": f"{self.base}/note",
            "type": "Note",
            "attributedTo": f"{self.base}/users/evil",
            "content": "hallo",
            "to": [f"{AS}#Public"],
        }


Writer = asyncio.StreamWriter


async def _send(peer: HostilePeer, writer: Writer, data: bytes) -> None:
    writer.write(data)
    peer.bytes_sent += len(data)
    await writer.drain()


def _head(status: str, content_type: str, extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}".encode()


async def _respond(
    peer: HostilePeer, writer: Writer, status: str, content_type: str, body: bytes, extra: str = ""
) -> None:
    head = _head(status, content_type, extra) + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    await _send(peer, writer, head + body)


async def _misbehave(peer: HostilePeer, path: str, writer: Writer) -> None:
    kind = peer.behaviour
    if kind == "blackhole":
        await asyncio.sleep(120)  # never a byte back; the client gives up first
    elif kind == "slowloris":
        await _send(peer, writer, b"HTTP/1.1 200 OK\r\n")
        for _ in range(240):  # one header byte every half second, never finishing
            await asyncio.sleep(0.5)
            await _send(peer, writer, b"X")
    elif kind == "html":
        await _respond(peer, writer, "200 OK", "text/html", b"<html><body><h1>Welcome!</h1></body></html>")
    elif kind == "badjson":
        await _respond(peer, writer, "200 OK", "application/activity+json", b'{"id": "' + peer.base.encode() + b'", ')
    elif kind == "huge":  # 10 MiB, announced honestly in Content-Length, sent as read
        head = _head("200 OK", "application/activity+json", f"Content-Length: {10 * MIB}\r\n\r\n")
        await _send(peer, writer, head)
        for _ in range(160):
            await _send(peer, writer, b" " * (64 * 1024))
    elif kind == "endless":
        head = _head("200 OK", "application/activity+json", "Transfer-Encoding: chunked\r\n\r\n")
        await _send(peer, writer, head)
        chunk = b"a" * (64 * 1024)
        for _ in range(400):  # 25 MiB at most, far beyond any cap
            await _send(peer, writer, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    elif kind == "retry":
        await _respond(peer, writer, "503 Service Unavailable", "text/plain", b"later", "Retry-After: 86400\r\n")
    elif kind == "collection":
        page = {
            "@context": AS,
            "id": f"{peer.base}{path}",
            "type": "OrderedCollectionPage",
            "orderedItems": [f"{peer.base}{path}/{i}" for i in range(50)],
            "next": f"{peer.base}{path}/next",
        }
        await _respond(peer, writer, "200 OK", "application/activity+json", orjson.dumps(page))


async def _read_request_line(reader: asyncio.StreamReader) -> str | None:
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    return parts[1].decode("latin-1") if len(parts) >= 2 else None


def _handler(peer: HostilePeer) -> Callable[[asyncio.StreamReader, Writer], Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: Writer) -> None:
        peer.connections += 1
        task = asyncio.current_task()
        assert task is not None
        peer.tasks.add(task)  # type: ignore[arg-type]
        try:
            path = await _read_request_line(reader)
            if path is None:
                return
            peer.requests.append(path)
            if path == "/note":
                await _respond(peer, writer, "200 OK", "application/activity+json", orjson.dumps(peer.note()))
            else:
                await _misbehave(peer, path, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            peer.tasks.discard(task)  # type: ignore[arg-type]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    return handle


@contextlib.asynccontextmanager
async def hostile_peer(behaviour: str, address: str = "127.0.0.5") -> AsyncIterator[HostilePeer]:
    port = free_port(address)
    peer = HostilePeer(behaviour, f"http://{address}:{port}")
    server = await asyncio.start_server(_handler(peer), address, port)
    try:
        yield peer
    finally:
        server.close()
        for task in list(peer.tasks):
            task.cancel()
        await asyncio.gather(*peer.tasks, return_exceptions=True)
        await server.wait_closed()


def dead_base(address: str = "127.0.0.5") -> str:
    """A base URL where nothing listens (connection refused)."""
    return f"http://{address}:{free_port(address)}"
