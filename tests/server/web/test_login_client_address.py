"""The login limit per client address counts the client the rate-limit middleware sees:
behind a trusted proxy the forwarded address, otherwise the TCP peer (a forged
X-Forwarded-For changes nothing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.config import parse_networks
from server.domain.accounts import MAX_FAILURES_PER_CLIENT
from server.domain.actors import create_account
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"
# generous request buckets, so only the login limit itself answers 429
BUCKETS = {"registration_mode": "closed", "auth_burst_per_ip": 1000, "auth_rate_per_ip": 1000}


async def _login(browser: PageClient, username: str, password: str, forwarded: str) -> int:
    await browser.get("/login")
    data = {"csrf": browser.csrf(), "username": username, "password": password}
    headers = {**browser.headers(), "X-Forwarded-For": forwarded}
    async with browser.session.post(browser.instance.url("/login"), data=data, headers=headers) as resp:
        return resp.status


async def _fail_from(browser: PageClient, forwarded: str) -> None:
    for n in range(MAX_FAILURES_PER_CLIENT):
        assert await _login(browser, f"nobody{n}", "wrong password", forwarded) == 401


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    make_instance: Callable[..., Any],
) -> None:
    async with make_instance(trusted_proxies=parse_networks(["127.0.0.0/8"]), **BUCKETS) as inst:
        await create_account(inst.pool, inst.settings, username="joke", password=PASSWORD)
        async with PageClient(inst) as browser:
            await _fail_from(browser, "203.0.113.7")
            assert await _login(browser, "joke", PASSWORD, "203.0.113.7") == 429
            assert await _login(browser, "joke", PASSWORD, "198.51.100.2, 203.0.113.7") == 429
            assert await _login(browser, "joke", PASSWORD, "203.0.113.8") == 200  # a redirect, followed
        clients = {r["client"] for r in await inst.pool.fetch("SELECT DISTINCT client FROM login_attempts")}
        assert clients == {"203.0.113.7"}


async def test_without_trusted_proxies_a_forwarded_header_is_ignored(make_instance: Callable[..., Any]) -> None:
    async with make_instance(**BUCKETS) as inst:
        await create_account(inst.pool, inst.settings, username="joke", password=PASSWORD)
        async with PageClient(inst) as browser:
            await _fail_from(browser, "203.0.113.7")
            assert await _login(browser, "joke", PASSWORD, "203.0.113.8") == 429
        clients = {r["client"] for r in await inst.pool.fetch("SELECT DISTINCT client FROM login_attempts")}
        assert len(clients) == 1 and not clients & {"203.0.113.7", "203.0.113.8"}
