"""HttpClient against real servers on loopback.

Allowed servers listen on 127.0.0.2 / 127.0.0.3 (allowed=127.0.0.2/31). A canary
TCP server on 127.0.0.1 (and ::1), which is NOT allowed, counts connections:
every SSRF test asserts it saw none.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from functools import cache
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import is_ip_address

from federation.addresses import parse_networks
from federation.http import (
    HttpClient,
    HttpLimits,
    RequestFailed,
    RequestRefused,
    check_url,
    looks_like_ip_literal,
)
from tests.harness import Canary

ALLOWED = parse_networks(["127.0.0.2/31"])
BASE_URL = "https://buurt.example"
MiB = 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s


async def serve(stack: AsyncExitStack, routes: dict[str, Handler], host: str = "127.0.0.2") -> str:
    """Start an aiohttp app on `host` (random port) until the test ends; returns its base URL."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("*", path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = runner.addresses[0][1]
    return f"http://{host}:{port}"


def client(**limits: Any) -> HttpClient:
    settings: dict[str, Any] = {"total_timeout": 2.0, "connect_timeout": 1.0, **limits}
    return HttpClient(BASE_URL, allowed=ALLOWED, limits=HttpLimits(**settings), version="9.9")


async def ok(request: web.Request) -> web.Response:
    return web.json_response(
        {"method": request.method, "headers": dict(request.headers), "body": (await request.text())}
    )


def redirect_to(location: str, status: int = 302) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    return handler


# --- ordinary behaviour ---------------------------------------------------------------


async def test_get_returns_response_with_user_agent(stack: AsyncExitStack) -> None:
    base = await serve(stack, {"/x": ok})
    async with client() as http:
        response = await http.get(f"{base}/x", {"Accept": "application/json"})
    assert response.status == 200
    assert response.url == f"{base}/x"
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["CONTENT-TYPE"] == response.headers["content-type"]
    sent = (_json(response.body))["headers"]
    assert sent["User-Agent"] == f"Buurtplein/9.9 (+{BASE_URL})"
    assert sent["Accept"] == "application/json"


async def test_caller_headers_sent_unchanged(stack: AsyncExitStack) -> None:
    base = await serve(stack, {"/x": ok})
    headers = {"Signature": 'keyId="k",signature="abc=="', "Date": "Tue, 07 Jun 2014 20:51:35 GMT"}
    async with client() as http:
        response = await http.get(f"{base}/x", headers)
    sent = (_json(response.body))["headers"]
    assert sent["Signature"] == headers["Signature"]
    assert sent["Date"] == headers["Date"]


async def test_post_sends_body_and_never_follows_redirects(stack: AsyncExitStack) -> None:
    hits: list[str] = []

    async def target(request: web.Request) -> web.Response:
        hits.append(request.method)
        return web.Response(text="no")

    base = await serve(stack, {"/inbox": ok, "/moved": redirect_to("/target", 307), "/target": target})
    async with client() as http:
        response = await http.post(f"{base}/inbox", {"Content-Type": "text/plain"}, b"hello")
        moved = await http.post(f"{base}/moved", {}, b"hello")
    assert (_json(response.body))["body"] == "hello"
    assert moved.status == 307
    assert moved.headers["Location"] == "/target"
    assert hits == []


async def test_connection_refused_is_failure() -> None:
    with socket.socket() as s:  # a port on an allowed address that nobody listens on
        s.bind(("127.0.0.2", 0))
        port = s.getsockname()[1]
    async with client() as http:
        with pytest.raises(RequestFailed):
            await http.get(f"http://127.0.0.2:{port}/")


async def test_used_outside_context_manager() -> None:
    with pytest.raises(RuntimeError):
        await client().get("http://127.0.0.2:1/")


# --- SSRF: nothing may reach the canary -----------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://[::127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://0177.0.0.1:{port}/",
        "http://0x7f000001:{port}/",
        "http://127.1:{port}/",
        "http://127.0.0.1.:{port}/",
        "http://0.0.0.0:{port}/",
        "https://127.0.0.1:{port}/",
        "ftp://127.0.0.2:{port}/",
        "file:///etc/passwd",
        "gopher://127.0.0.2:{port}/",
        "http://user:pw@127.0.0.2:{port}/",
        "//127.0.0.1:{port}/",
        "not a url",
    ],
)
async def test_direct_ssrf_refused(canary: Canary, url: str) -> None:
    async with client() as http:
        with pytest.raises(RequestRefused):
            await http.get(url.format(port=canary.port))
        with pytest.raises(RequestRefused):
            await http.post(url.format(port=canary.port), {}, b"x")
    assert canary.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "file:///etc/passwd",
        "ftp://127.0.0.2/",
        "//127.0.0.1:{port}/x",
    ],
)
async def test_redirect_to_forbidden_target_refused(stack: AsyncExitStack, canary: Canary, location: str) -> None:
    base = await serve(stack, {"/r": redirect_to(location.format(port=canary.port))})
    async with client() as http:
        with pytest.raises(RequestRefused):
            await http.get(f"{base}/r")
    assert canary.connections == 0


async def test_redirect_limit(stack: AsyncExitStack, canary: Canary) -> None:
    base = await serve(
        stack,
        {
            "/4": redirect_to("/3", 301),
            "/3": redirect_to("/2", 308),
            "/2": redirect_to("/1", 303),
            "/1": redirect_to("/0", 307),
            "/0": ok,
        },
    )
    async with client() as http:
        final = await http.get(f"{base}/3")  # three redirects: allowed
        assert final.status == 200
        assert final.url == f"{base}/0"
        with pytest.raises(RequestRefused, match="redirects"):
            await http.get(f"{base}/4")
    async with client(max_redirects=0) as http:
        with pytest.raises(RequestRefused, match="redirects"):
            await http.get(f"{base}/1")
    assert canary.connections == 0


async def test_redirect_loop_is_bounded(stack: AsyncExitStack) -> None:
    base = await serve(stack, {"/loop": redirect_to("/loop")})
    async with client() as http:
        with pytest.raises(RequestRefused, match="redirects"):
            await http.get(f"{base}/loop")


class FakeResolver(AbstractResolver):
    """Answers names from a table; records what was asked."""

    def __init__(self, table: Mapping[str, list[tuple[str, int]]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=ip,
                port=p,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for ip, p in self.table[host]
        ]

    async def close(self) -> None:
        pass


async def test_resolver_drops_forbidden_addresses(stack: AsyncExitStack, canary: Canary) -> None:
    base = await serve(stack, {"/x": ok})
    port = int(base.rsplit(":", 1)[1])
    resolver = FakeResolver(
        {
            "evil.test": [("127.0.0.1", canary.port)],
            "metadata.test": [("169.254.169.254", 80), ("10.0.0.1", 80)],
            "mixed.test": [("127.0.0.1", canary.port), ("127.0.0.2", port)],
        }
    )
    http = HttpClient(BASE_URL, allowed=ALLOWED, resolver=resolver, limits=HttpLimits(total_timeout=2))
    async with http:
        for name in ("evil.test", "metadata.test"):
            with pytest.raises(RequestRefused, match="forbidden"):
                await http.get(f"http://{name}:{port}/x")
        # Only the permitted address is connected to, although the forbidden one came first.
        response = await http.get(f"http://mixed.test:{port}/x")
        assert response.status == 200
    assert resolver.asked == ["evil.test", "metadata.test", "mixed.test"]
    assert canary.connections == 0


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0177.0.0.1",
        "127.1",
        "0x7f000001",
        "::1",
        "fe80::1%25eth0",
        "example.org",
        "1.2.3.4.",
        "1e3",
        "localhost",
        "xn--nxasmq6b",
        "0",
        "",
    ],
)
def test_ip_literal_heuristic_matches_aiohttp(host: str) -> None:
    # aiohttp connects to hosts it considers IP literals without asking the resolver;
    # check_url must inspect exactly those.
    assert looks_like_ip_literal(host) == is_ip_address(host)


def test_check_url_allows_permitted_literals() -> None:
    assert str(check_url("http://127.0.0.2:8080/a?b", ALLOWED)) == "http://127.0.0.2:8080/a?b"
    assert check_url("https://example.org/").host == "example.org"
    with pytest.raises(RequestRefused):
        check_url("http://127.0.0.2/")  # not allowed without the exemption


# --- size, compression, time -----------------------------------------------------------


async def _stream(
    request: web.Request, total: int, chunk: int = 64 * 1024, sent: list[int] | None = None
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    block = b"x" * chunk
    for _ in range(total // chunk):
        await response.write(block)
        if sent is not None:
            sent.append(chunk)
    await response.write_eof()
    return response


async def test_chunked_body_over_cap_fails(stack: AsyncExitStack) -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        return await _stream(request, 2 * MiB)

    async def exact(request: web.Request) -> web.StreamResponse:
        return await _stream(request, 1 * MiB)

    base = await serve(stack, {"/big": big, "/exact": exact})
    async with client() as http:
        with pytest.raises(RequestFailed, match="larger than"):
            await http.get(f"{base}/big")
        assert len((await http.get(f"{base}/exact")).body) == MiB


async def test_endless_body_stops_being_read(stack: AsyncExitStack) -> None:
    sent: list[int] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        return await _stream(request, 256 * MiB, sent=sent)

    base = await serve(stack, {"/endless": endless})
    started = time.monotonic()
    async with client() as http:
        with pytest.raises(RequestFailed, match="larger than"):
            await http.get(f"{base}/endless")
    await asyncio.sleep(0.2)
    assert time.monotonic() - started < 2
    assert sum(sent) < 64 * MiB  # the server was cut off long before the end


async def test_declared_length_over_cap_fails_before_reading(stack: AsyncExitStack) -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * MiB))

    base = await serve(stack, {"/big": big})
    async with client() as http:
        with pytest.raises(RequestFailed, match="larger than"):
            await http.get(f"{base}/big")
    async with client(max_response_bytes=10) as http:
        with pytest.raises(RequestFailed, match="larger than"):
            await http.get(f"{base}/big")


@cache
def gzip_bomb() -> bytes:
    """50 MiB of zeros, gzip-compressed (about 50 KiB on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    parts = [compressor.compress(zeros) for _ in range(50)]
    return b"".join([*parts, compressor.flush()])


async def test_gzip_bomb_is_capped_after_decompression(stack: AsyncExitStack) -> None:
    bomb = gzip_bomb()
    assert len(bomb) < MiB

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=bomb,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/activity+json"},
        )

    base = await serve(stack, {"/bomb": handler})
    async with client() as http:
        tracemalloc.start()
        try:
            with pytest.raises(RequestFailed, match="larger than"):
                await http.get(f"{base}/bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * MiB


async def test_black_hole_times_out(stack: AsyncExitStack) -> None:
    release = asyncio.Event()
    accepted = 0

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        try:
            await asyncio.wait_for(release.wait(), 5)  # never answers, bounded anyway
        except TimeoutError:
            pass
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.2", 0)
    stack.push_async_callback(server.wait_closed)
    stack.callback(server.close)
    stack.callback(release.set)
    port = server.sockets[0].getsockname()[1]
    started = time.monotonic()
    async with client(total_timeout=1) as http:
        with pytest.raises(RequestFailed, match="timed out"):
            await http.get(f"http://127.0.0.2:{port}/")
    assert time.monotonic() - started < 1.8
    assert accepted == 1


async def test_slow_loris_bounded_by_total_timeout(stack: AsyncExitStack) -> None:
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(20):
            await response.write(b"x")
            await asyncio.sleep(0.5)
        await response.write_eof()
        return response

    base = await serve(stack, {"/drip": drip})
    started = time.monotonic()
    async with client(total_timeout=1) as http:
        with pytest.raises(RequestFailed, match="timed out"):
            await http.get(f"{base}/drip")
    assert time.monotonic() - started < 1.8


# --- signing, redirects across hosts ---------------------------------------------------


async def test_signer_called_per_hop_with_hop_url(stack: AsyncExitStack) -> None:
    seen: list[tuple[str, str | None]] = []

    async def record(request: web.Request) -> web.StreamResponse:
        seen.append((str(request.url), request.headers.get("X-Signed-For")))
        if request.path == "/a":
            return web.Response(status=302, headers={"Location": f"{b3}/b"})
        if request.path == "/b":
            return web.Response(status=301, headers={"Location": f"{b2}/c?q=1#frag"})
        return web.Response(text="done")

    b2 = await serve(stack, {"/{tail:.*}": record}, "127.0.0.2")
    b3 = await serve(stack, {"/{tail:.*}": record}, "127.0.0.3")
    calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def signer(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        calls.append((method, url, dict(headers), body))
        return {**headers, "X-Signed-For": url}

    async with client() as http:
        response = await http.get(f"{b2}/a", {"Accept": "text/plain"}, signer=signer)
    assert response.body == b"done"
    assert response.url == f"{b2}/c?q=1"
    hops = [f"{b2}/a", f"{b3}/b", f"{b2}/c?q=1"]
    assert [url for _, url, _, _ in calls] == hops
    assert seen == [(url, url) for url in hops]
    assert all(m == "GET" and body is None for m, _, _, body in calls)
    assert all(h["Accept"] == "text/plain" and h["User-Agent"].startswith("Buurtplein/") for _, _, h, _ in calls)


async def test_signer_for_post(stack: AsyncExitStack) -> None:
    base = await serve(stack, {"/inbox": ok})
    calls: list[tuple[str, str, bytes | None]] = []

    def signer(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        calls.append((method, url, body))
        return {**headers, "Signature": "sig"}

    async with client() as http:
        response = await http.post(f"{base}/inbox", {}, b"{}", signer=signer)
    assert calls == [("POST", f"{base}/inbox", b"{}")]
    assert (_json(response.body))["headers"]["Signature"] == "sig"


async def test_credentials_not_replayed_to_other_origin(stack: AsyncExitStack) -> None:
    b3 = await serve(stack, {"/echo": ok}, "127.0.0.3")
    b2 = await serve(stack, {"/same": redirect_to("/echo"), "/other": redirect_to(f"{b3}/echo"), "/echo": ok})
    headers = {"Authorization": "Bearer t", "Signature": "s", "X-Keep": "k"}
    async with client() as http:
        same = (_json((await http.get(f"{b2}/same", headers)).body))["headers"]
        other = (_json((await http.get(f"{b2}/other", headers)).body))["headers"]
    assert same["Authorization"] == "Bearer t" and same["Signature"] == "s"
    assert "Authorization" not in other and "Signature" not in other
    assert other["X-Keep"] == "k"


# --- per-host concurrency --------------------------------------------------------------


async def test_per_host_concurrency_cap(stack: AsyncExitStack) -> None:
    release = asyncio.Event()
    active = 0
    peak = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            await asyncio.wait_for(release.wait(), 2)
        finally:
            active -= 1
        return web.Response(text="slow")

    slow_base = await serve(stack, {"/slow": slow}, "127.0.0.2")
    fast_base = await serve(stack, {"/fast": ok}, "127.0.0.3")
    async with client(per_host_concurrency=3) as http:
        waiting = [asyncio.create_task(http.get(f"{slow_base}/slow")) for _ in range(7)]
        for _ in range(100):  # until the slow host's slots are all taken
            if active == 3:
                break
            await asyncio.sleep(0.01)
        assert active == 3
        # Another host is not held up by the slow one.
        fast = await asyncio.wait_for(http.get(f"{fast_base}/fast"), 1)
        assert fast.status == 200
        assert active == 3
        release.set()
        responses = await asyncio.gather(*waiting)
        assert http._gates.gates == {}  # gates are dropped when idle
    assert [r.body for r in responses] == [b"slow"] * 7
    assert peak == 3


def _json(body: bytes) -> dict[str, Any]:
    value = json.loads(body)
    assert isinstance(value, dict)
    return value
