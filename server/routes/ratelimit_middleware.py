"""Rate limits on the inbox, the API, login and registration: 429 with Retry-After.

Which requests count (by method and path, before routing, so unknown paths count too):
- inbox: POST /inbox, /actor/inbox, /actors/{name}/inbox — one bucket per client address
  and one per signing key (read from `Signature` / `Signature-Input` without verifying:
  a forged key id only spends the forger's own tokens, and the address bucket still holds);
- api: any method under /api/ — per client address;
- auth: anything but GET/HEAD/OPTIONS on /login… and /register… — per client address,
  a bucket per path family, so failed logins do not block a registration.

The client address is the TCP peer; when the peer is one of `trusted_proxies`, the
nearest untrusted address in X-Forwarded-For. IPv6 clients share a bucket per /64.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from activitypub.request_signing import HttpRequestParts, signature_key_id
from server.appkeys import METRICS, SETTINGS
from server.config import Network, Settings
from server.errors import json_error
from server.ratelimit import Rate, RateLimiter, client_key, retry_after_header

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
INBOX_PATH = re.compile(r"^/(?:inbox|actor/inbox|actors/[^/]+/inbox)/?$")
AUTH_PREFIXES = ("/login", "/register")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_KEY_ID = 512
MAX_FORWARDED = 20  # X-Forwarded-For entries looked at, from the right


@dataclass(frozen=True)
class RateLimits:
    inbox_ip: RateLimiter
    inbox_key: RateLimiter
    api_ip: RateLimiter
    auth_ip: RateLimiter
    trusted_proxies: tuple[Network, ...]


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


def build_limits(settings: Settings) -> RateLimits:
    def limiter(per_minute: int, burst: int) -> RateLimiter:
        rate = Rate(per_minute if settings.rate_limits_enabled else 0, burst)
        return RateLimiter(rate, max_keys=settings.rate_limit_max_keys)

    return RateLimits(
        inbox_ip=limiter(settings.inbox_rate_per_ip, settings.inbox_burst_per_ip),
        inbox_key=limiter(settings.inbox_rate_per_key, settings.inbox_burst_per_key),
        api_ip=limiter(settings.api_rate_per_ip, settings.api_burst_per_ip),
        auth_ip=limiter(settings.auth_rate_per_ip, settings.auth_burst_per_ip),
        trusted_proxies=settings.trusted_proxies,
    )


def zone_of(method: str, path: str) -> str | None:
    """'inbox', 'api', 'login', 'register', or None for requests without a limit."""
    if method == "POST" and INBOX_PATH.match(path):
        return "inbox"
    if path == "/api" or path.startswith("/api/"):
        return "api"
    if method not in SAFE_METHODS:
        for prefix in AUTH_PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix[1:]
    return None


def _is_trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The TCP peer, or, behind a trusted proxy, the right-most untrusted forwarded address."""
    if not proxies or not forwarded_for or not _is_trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",")][-MAX_FORWARDED:]
    for hop in reversed(hops):
        if not _is_trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop.split("%", 1)[0]))
            except ValueError:
                return peer  # garbage in the header: fall back to the proxy itself
    return peer


SIGNATURE_HEADERS = ("signature", "signature-input")


def signing_key(request: web.Request) -> str | None:
    """The key id a request claims to be signed with (unverified), without its fragment."""
    headers = {name: value for name in SIGNATURE_HEADERS if (value := request.headers.get(name)) is not None}
    if not headers:
        return None
    found = signature_key_id(HttpRequestParts(method=request.method, url="", headers=headers, body=b""))
    if found is None:
        return None
    return found[0].split("#", 1)[0][:MAX_KEY_ID]


def too_many(wait: float) -> web.Response:
    return json_error(429, "too many requests, slow down", headers={"Retry-After": retry_after_header(wait)})


def request_client(request: web.Request, proxies: tuple[Network, ...]) -> str:
    """The client of a request as every limit sees it: the TCP peer, or behind a trusted
    proxy the forwarded address; an IPv6 client as its /64 (server.ratelimit.client_key)."""
    forwarded = request.headers.get("X-Forwarded-For")
    return client_key(client_address(request.remote or "", forwarded, proxies))


def check(request: web.Request, limits: RateLimits, zone: str) -> float | None:
    """None when the request may pass, else the seconds until it may."""
    address = request_client(request, limits.trusted_proxies)
    if zone == "inbox":
        wait = limits.inbox_ip.take(address)
        if wait is None:
            key = signing_key(request)
            wait = limits.inbox_key.take(key) if key else None
        return wait
    if zone == "api":
        return limits.api_ip.take(address)
    return limits.auth_ip.take(f"{zone} {address}")


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    zone = zone_of(request.method, request.path)
    if zone is None:
        return await handler(request)
    wait = check(request, request.app[RATE_LIMITS], zone)
    if wait is None:
        return await handler(request)
    if zone == "inbox":
        request.app[METRICS].count_inbox("rejected", "rate limited")
    log.debug("rate limited", extra={"zone": zone, "path": request.path})
    return too_many(wait)


def setup(app: web.Application) -> None:
    app[RATE_LIMITS] = build_limits(app[SETTINGS])
    app.middlewares.append(rate_limit)
