"""Rate limits through real HTTP: the inbox per address and per signing key, the API,
login and registration answer 429 with Retry-After; everything else is untouched."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from server.routes.ratelimit_middleware import client_address, zone_of
from tests.harness import PEER_ADDRESSES, Instance, running_instance
from tests.scripted_peer import scripted_peer
from tests.server.routes.test_inbox import note_create, stored

TIGHT = {
    "inbox_rate_per_ip": 60,
    "inbox_burst_per_ip": 6,
    "inbox_rate_per_key": 60,
    "inbox_burst_per_key": 3,
    "api_rate_per_ip": 60,
    "api_burst_per_ip": 4,
    "auth_rate_per_ip": 1,
    "auth_burst_per_ip": 2,
}


@pytest.fixture
async def tight(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, **TIGHT) as inst:
        yield inst


async def statuses(inst: Instance, method: str, path: str, n: int, **kwargs: object) -> list[int]:
    found = []
    for _ in range(n):
        async with inst.session.request(method, inst.url(path), **kwargs) as resp:  # type: ignore[arg-type]
            await resp.read()
            if resp.status == 429:
                assert 1 <= int(resp.headers["Retry-After"]) <= 60
                assert (await resp.json())["error"]
            found.append(resp.status)
    return found


async def test_inbox_flood_from_one_address_gets_429_with_retry_after(tight: Instance) -> None:
    got = await statuses(tight, "POST", "/inbox", 8, data=b"{}", headers={"Content-Type": "application/activity+json"})
    assert got[:6] == [400] * 6  # refused on its merits while within the burst
    assert got[6:] == [429, 429]
    # the pages stay open to the same address
    assert (await statuses(tight, "GET", "/healthz", 3)) == [200, 200, 200]


async def test_all_inbox_paths_share_the_address_bucket(tight: Instance) -> None:
    headers = {"Content-Type": "application/activity+json"}
    await statuses(tight, "POST", "/inbox", 3, data=b"{}", headers=headers)
    await statuses(tight, "POST", "/actor/inbox", 3, data=b"{}", headers=headers)
    assert await statuses(tight, "POST", "/actors/nobody/inbox", 1, data=b"{}", headers=headers) == [429]


async def test_one_signing_key_is_limited_while_another_passes(tight: Instance) -> None:
    async with scripted_peer() as peer:
        alice, bob = peer.make_actor("alice"), peer.make_actor("bob")
        got = []
        for _ in range(4):
            body = orjson.dumps(note_create(peer, alice))
            headers = peer.signed_headers(alice, tight.url("/inbox"), body)
            got += await statuses(tight, "POST", "/inbox", 1, data=body, headers=headers)
        assert got == [202, 202, 202, 429]
        body = orjson.dumps(note_create(peer, bob))
        headers = peer.signed_headers(bob, tight.url("/inbox"), body)
        assert await statuses(tight, "POST", "/inbox", 1, data=body, headers=headers) == [202]
        assert await stored(tight) == 4
        # the refused request cost no key fetch and stored nothing
        assert peer.gets("/users/alice") == 1


async def test_rfc9421_key_ids_are_limited_too(tight: Instance) -> None:
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        got = []
        for _ in range(4):
            body = orjson.dumps(note_create(peer, alice))
            headers = peer.signed_headers(alice, tight.url("/inbox"), body, scheme="rfc9421")
            got += await statuses(tight, "POST", "/inbox", 1, data=body, headers=headers)
        assert got == [202, 202, 202, 429]


async def test_api_is_limited_per_address_for_every_method(tight: Instance) -> None:
    got = await statuses(tight, "GET", "/api/v1/instance", 3)
    got += await statuses(tight, "POST", "/api/v1/statuses", 2, data=b"x")
    assert 429 not in got[:4]  # whatever the API answers (404 until it exists)
    assert got[4] == 429


async def test_login_and_registration_posts_are_limited_separately(tight: Instance) -> None:
    assert (await statuses(tight, "POST", "/login", 3, data={"user": "a", "password": "b"}))[2] == 429
    assert (await statuses(tight, "GET", "/login", 3)).count(429) == 0  # reading the form is free
    assert (await statuses(tight, "POST", "/register", 3, data={"user": "a"}))[:2] != [429, 429]
    assert (await statuses(tight, "POST", "/register/confirm", 1, data=b""))[0] == 429


async def test_rate_limited_inbox_requests_are_counted(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, metrics_token="t", **TIGHT
    ) as inst:
        await statuses(inst, "POST", "/inbox", 8, data=b"{}", headers={"Content-Type": "application/activity+json"})
        async with inst.session.get(inst.url("/metrics"), headers={"Authorization": "Bearer t"}) as resp:
            text = await resp.text()
        assert 'buurtplein_inbox_requests_total{outcome="rejected",reason="rate limited"} 2' in text


async def test_limits_can_be_switched_off(database_server: str, template_database: str, tmp_path: Path) -> None:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, rate_limits_enabled=False, **TIGHT
    ) as inst:
        got = await statuses(
            inst, "POST", "/inbox", 10, data=b"{}", headers={"Content-Type": "application/activity+json"}
        )
        assert 429 not in got


@pytest.mark.parametrize(
    ("method", "path", "zone"),
    [
        ("POST", "/inbox", "inbox"),
        ("POST", "/inbox/", "inbox"),
        ("POST", "/actor/inbox", "inbox"),
        ("POST", "/actors/buurt/inbox", "inbox"),
        ("GET", "/actors/buurt/inbox", None),
        ("POST", "/actors/a/b/inbox", None),
        ("GET", "/api/v1/timelines/public", "api"),
        ("DELETE", "/api", "api"),
        ("GET", "/apis", None),
        ("POST", "/login", "login"),
        ("POST", "/login/totp", "login"),
        ("GET", "/login", None),
        ("POST", "/loginx", None),
        ("PUT", "/register", "register"),
        ("GET", "/healthz", None),
        ("GET", "/actors/buurt", None),
    ],
)
def test_zones_by_method_and_path(method: str, path: str, zone: str | None) -> None:
    assert zone_of(method, path) == zone


PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("192.0.2.1", "198.51.100.9", "192.0.2.1"),  # untrusted peer: the header is ignored
        ("10.0.0.1", "198.51.100.9", "198.51.100.9"),
        ("10.0.0.1", "203.0.113.5, 198.51.100.9", "198.51.100.9"),  # spoofed left part ignored
        ("10.0.0.1", "198.51.100.9, 10.0.0.2", "198.51.100.9"),  # a chain of our proxies
        ("10.0.0.1", "garbage", "10.0.0.1"),
        ("10.0.0.1", None, "10.0.0.1"),
        ("10.0.0.1", "10.0.0.3", "10.0.0.1"),
    ],
)
def test_client_address_behind_trusted_proxies(peer: str, forwarded: str | None, expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_forwarded_header_is_ignored_without_trusted_proxies() -> None:
    assert client_address("10.0.0.1", "198.51.100.9", ()) == "10.0.0.1"
