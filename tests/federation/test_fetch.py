"""fetch_object / fetch_json against real servers on 127.0.0.2 and 127.0.0.3.

A canary on 127.0.0.1 (not allowed) counts connections; forbidden targets must
leave it untouched.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp import web

from federation.addresses import parse_networks
from federation.fetch import (
    ACTIVITY_ACCEPT,
    Fetched,
    Gone,
    NotFound,
    Refused,
    Unavailable,
    fetch_json,
    fetch_object,
    is_activity_media_type,
    same_origin,
)
from federation.http import HttpClient, HttpLimits

ALLOWED = parse_networks(["127.0.0.2/31"])
AS2 = "application/activity+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s


@pytest.fixture
async def http() -> AsyncIterator[HttpClient]:
    limits = HttpLimits(total_timeout=1.0, connect_timeout=1.0, max_response_bytes=64 * 1024)
    async with HttpClient("https://buurt.example", allowed=ALLOWED, limits=limits) as client:
        yield client


async def serve(stack: AsyncExitStack, routes: dict[str, Handler], host: str = "127.0.0.2") -> str:
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_route("GET", path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2, handler_cancellation=True)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, host, 0)
    await site.start()
    return f"http://{host}:{runner.addresses[0][1]}"


def reply(
    body: bytes | str | dict[str, Any] | list[Any],
    content_type: str = AS2,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Handler:
    raw = body if isinstance(body, bytes) else (body.encode() if isinstance(body, str) else json.dumps(body).encode())

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=raw, status=status, headers={"Content-Type": content_type, **(headers or {})})

    return handler


def document_at(path: str) -> Handler:
    """Serves a Note whose id is this very URL."""

    async def handler(request: web.Request) -> web.Response:
        doc = {"id": str(request.url.with_path(path)), "type": "Note"}
        return web.json_response(doc, content_type=AS2)

    return handler


async def test_fetched(stack: AsyncExitStack, http: HttpClient) -> None:
    seen: list[str] = []

    async def note(request: web.Request) -> web.Response:
        seen.append(request.headers["Accept"])
        return web.json_response({"id": str(request.url), "type": "Note"}, content_type=AS2)

    base = await serve(stack, {"/note": note})
    result = await fetch_object(http, f"{base}/note")
    assert result == Fetched({"id": f"{base}/note", "type": "Note"}, f"{base}/note")
    assert seen == [ACTIVITY_ACCEPT]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/activity+json",
        "application/activity+json; charset=utf-8",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
        "Application/LD+JSON",
    ],
)
async def test_accepted_media_types(stack: AsyncExitStack, http: HttpClient, content_type: str) -> None:
    async def note(request: web.Request) -> web.Response:
        body = json.dumps({"id": str(request.url)})
        return web.Response(text=body, headers={"Content-Type": content_type})

    base = await serve(stack, {"/n": note})
    assert isinstance(await fetch_object(http, f"{base}/n"), Fetched)
    assert is_activity_media_type(content_type)


async def test_id_on_same_origin_but_other_path_is_accepted(stack: AsyncExitStack, http: HttpClient) -> None:
    base = await serve(stack, {"/@alice": document_at("/users/alice")})
    result = await fetch_object(http, f"{base}/@alice")
    assert isinstance(result, Fetched)
    assert result.document["id"] == f"{base}/users/alice"
    assert result.url == f"{base}/@alice"


async def test_id_on_other_origin_is_refused(stack: AsyncExitStack, http: HttpClient) -> None:
    other = await serve(stack, {"/x": reply("")}, "127.0.0.3")
    base = await serve(stack, {"/note": reply({"id": f"{other}/note", "type": "Note"})})
    result = await fetch_object(http, f"{base}/note")
    assert isinstance(result, Refused)
    assert "origin" in result.reason


async def test_id_checked_against_final_url(stack: AsyncExitStack, http: HttpClient) -> None:
    b3 = await serve(stack, {"/real": document_at("/real")}, "127.0.0.3")

    async def spoof(request: web.Request) -> web.Response:
        # Claims to be a document of 127.0.0.2 while being served by 127.0.0.3.
        return web.json_response({"id": f"{b2}/note"}, content_type=AS2)

    b3_spoof = await serve(stack, {"/spoof": spoof}, "127.0.0.3")
    b2 = await serve(
        stack,
        {
            "/moved": reply("", status=302, headers={"Location": f"{b3}/real"}),
            "/note": reply("", status=302, headers={"Location": f"{b3_spoof}/spoof"}),
        },
    )
    moved = await fetch_object(http, f"{b2}/moved")
    assert moved == Fetched({"id": f"{b3}/real", "type": "Note"}, f"{b3}/real")
    spoofed = await fetch_object(http, f"{b2}/note")
    assert isinstance(spoofed, Refused)


@pytest.mark.parametrize(
    "document",
    [
        {"type": "Note"},
        {"id": None},
        {"id": 5},
        {"id": ""},
        {"id": ["http://127.0.0.2/"]},
        {"id": "file:///etc/passwd"},
        {"id": "/relative"},
        {"id": "http://[broken"},
    ],
)
async def test_bad_id_is_refused(stack: AsyncExitStack, http: HttpClient, document: dict[str, Any]) -> None:
    base = await serve(stack, {"/n": reply(document)})
    assert isinstance(await fetch_object(http, f"{base}/n"), Refused)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"id": "x"}', "text/html; charset=utf-8"),
        ("<html></html>", "text/html"),
        ('{"id": "x"}', "application/json"),
        ('{"id": "x"}', "text/plain"),
        ('{"id": "x"}', ""),
        ("{not json", AS2),
        ("[1, 2]", AS2),
        ('"string"', AS2),
        ("[" * 40 + "]" * 40, AS2),
        ('{"a":' * 40 + "1" + "}" * 40, AS2),
    ],
)
async def test_bad_content_is_refused(stack: AsyncExitStack, http: HttpClient, body: str, content_type: str) -> None:
    base = await serve(stack, {"/n": reply(body, content_type)})
    assert isinstance(await fetch_object(http, f"{base}/n"), Refused)


async def test_statuses(stack: AsyncExitStack, http: HttpClient) -> None:
    base = await serve(
        stack,
        {
            "/gone": reply({"type": "Tombstone"}, status=410),
            "/missing": reply("nothing", "text/plain", status=404),
            "/broken": reply("oops", "text/plain", status=502),
            "/private": reply("no", "text/plain", status=401),
            "/loop": reply("", status=302, headers={"Location": "/loop"}),
        },
    )
    assert await fetch_object(http, f"{base}/gone") == Gone()
    assert await fetch_object(http, f"{base}/missing") == NotFound()
    assert await fetch_object(http, f"{base}/broken") == Unavailable("HTTP 502", 502)
    assert await fetch_object(http, f"{base}/private") == Unavailable("HTTP 401", 401)
    assert isinstance(await fetch_object(http, f"{base}/loop"), Refused)


async def test_network_failures_are_unavailable(stack: AsyncExitStack, http: HttpClient) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.json_response({"id": str(request.url)}, content_type=AS2)

    base = await serve(stack, {"/slow": slow})
    result = await fetch_object(http, f"{base}/slow")
    assert isinstance(result, Unavailable)
    assert "timed out" in result.reason


async def test_oversized_body_is_refused(stack: AsyncExitStack, http: HttpClient) -> None:
    base = await serve(stack, {"/big": reply({"id": "x", "pad": "x" * 100_000})})
    result = await fetch_object(http, f"{base}/big")
    assert isinstance(result, Refused)
    assert "larger" in result.reason


async def test_forbidden_targets_are_refused(stack: AsyncExitStack, http: HttpClient) -> None:
    hits = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal hits
        hits += 1
        writer.close()

    canary = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    stack.push_async_callback(canary.wait_closed)
    stack.callback(canary.close)
    port = canary.sockets[0].getsockname()[1]
    base = await serve(
        stack,
        {
            "/r": reply("", status=301, headers={"Location": f"http://127.0.0.1:{port}/"}),
        },
    )
    for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/", f"{base}/r"):
        result = await fetch_object(http, url)
        assert isinstance(result, Refused), url
        assert isinstance(await fetch_json(http, url, "application/json"), Refused)
    assert hits == 0


async def test_signer_is_used(stack: AsyncExitStack, http: HttpClient) -> None:
    async def needs_signature(request: web.Request) -> web.Response:
        if request.headers.get("Signature") != f"for {request.url}":
            return web.Response(status=401)
        return web.json_response({"id": str(request.url)}, content_type=AS2)

    base = await serve(stack, {"/n": needs_signature})

    def signer(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> dict[str, str]:
        return {**headers, "Signature": f"for {url}"}

    assert isinstance(await fetch_object(http, f"{base}/n"), Unavailable)
    assert isinstance(await fetch_object(http, f"{base}/n", signer=signer), Fetched)


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [
        ("application/jrd+json", True),
        ("application/json; charset=utf-8", True),
        ('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"', True),
        ("text/html", False),
        ("application/xrd+xml", False),
    ],
)
async def test_fetch_json(stack: AsyncExitStack, http: HttpClient, content_type: str, ok: bool) -> None:
    accepts: list[str] = []

    async def jrd(request: web.Request) -> web.Response:
        accepts.append(request.headers["Accept"])
        return web.Response(text='{"subject": "acct:a@b"}', headers={"Content-Type": content_type})

    base = await serve(stack, {"/.well-known/webfinger": jrd})
    url = f"{base}/.well-known/webfinger?resource=acct:a@b"
    result = await fetch_json(http, url, "application/jrd+json")
    if ok:
        assert result == Fetched({"subject": "acct:a@b"}, url)
    else:
        assert isinstance(result, Refused)
    assert accepts == ["application/jrd+json"]


async def test_fetch_json_statuses(stack: AsyncExitStack, http: HttpClient) -> None:
    base = await serve(
        stack,
        {"/n": reply("no", "text/plain", status=404), "/e": reply("no", "text/plain", status=503)},
    )
    assert await fetch_json(http, f"{base}/n", "application/json") == NotFound()
    assert await fetch_json(http, f"{base}/e", "application/json") == Unavailable("HTTP 503", 503)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://a.example/x", "https://a.example:443/y", True),
        ("https://A.example./x", "https://a.example/y#z", True),
        ("http://a.example/x", "https://a.example/x", False),
        ("https://a.example/x", "https://a.example:8443/x", False),
        ("https://a.example/x", "https://b.example/x", False),
        ("https://a.example/x", "/x", False),
        ("https://a.example/x", "http://[broken", False),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same
