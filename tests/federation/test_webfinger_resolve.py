"""Handle → actor URL through WebFinger on the handle's own host, SSRF-safe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from federation.http import HttpClient
from federation.webfinger import Resolved, Unresolved, resolve_handle, webfinger_url
from tests.harness import PEER_NETWORKS, Canary
from tests.scripted_peer import ScriptedPeer, scripted_peer

JRD = "application/jrd+json"


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    async with HttpClient("http://test.invalid", allowed=PEER_NETWORKS) as http:
        yield http


@pytest.fixture
async def peer() -> AsyncIterator[ScriptedPeer]:
    async with scripted_peer() as p:
        yield p


def host_of(peer: ScriptedPeer) -> str:
    return peer.base.split("://", 1)[1]


def jrd(href: str, media_type: str = "application/activity+json") -> dict[str, object]:
    return {"subject": "acct:x", "links": [{"rel": "self", "type": media_type, "href": href}]}


async def test_resolves_to_the_self_link(client: HttpClient, peer: ScriptedPeer) -> None:
    peer.serve("/.well-known/webfinger", jrd(peer.base + "/users/bob"), content_type=JRD)
    result = await resolve_handle(client, f"@Bob@{host_of(peer)}", scheme="http")
    assert result == Resolved(f"Bob@{host_of(peer)}", peer.base + "/users/bob")
    assert peer.gets("/.well-known/webfinger") == 1


def test_webfinger_url_quotes_the_resource() -> None:
    assert webfinger_url("a b", "x.example") == "https://x.example/.well-known/webfinger?resource=acct:a%20b@x.example"


@pytest.mark.parametrize("handle", ["bob", "@bob@", "bob@host/path", "bob@-bad-.example", "a" * 2000 + "@x.example"])
async def test_malformed_handles_are_not_looked_up(client: HttpClient, handle: str) -> None:
    assert isinstance(await resolve_handle(client, handle), Unresolved)


async def test_unknown_account_and_useless_answers(client: HttpClient, peer: ScriptedPeer) -> None:
    handle = f"bob@{host_of(peer)}"
    result = await resolve_handle(client, handle, scheme="http")
    assert isinstance(result, Unresolved) and result.reason == "no such account"
    for body, content_type in [
        (jrd(peer.base + "/users/bob", "text/html"), JRD),
        ({"links": "nope"}, JRD),
        (jrd("javascript:alert(1)"), JRD),
        (jrd(peer.base + "/users/bob"), "text/html"),
        (b"not json", JRD),
    ]:
        peer.serve("/.well-known/webfinger", body, content_type=content_type)
        assert isinstance(await resolve_handle(client, handle, scheme="http"), Unresolved), body


async def test_actor_on_another_host_is_refused(client: HttpClient, peer: ScriptedPeer, canary: Canary) -> None:
    peer.serve("/.well-known/webfinger", jrd(f"http://127.0.0.1:{canary.port}/users/bob"), content_type=JRD)
    result = await resolve_handle(client, f"bob@{host_of(peer)}", scheme="http")
    assert isinstance(result, Unresolved) and "another host" in result.reason
    assert canary.connections == 0


async def test_private_address_is_never_asked(client: HttpClient, canary: Canary) -> None:
    result = await resolve_handle(client, f"bob@127.0.0.1:{canary.port}", scheme="http")
    assert isinstance(result, Unresolved)
    assert canary.connections == 0
