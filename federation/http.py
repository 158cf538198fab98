"""Outbound HTTP that remote servers cannot turn against us.

Every connection goes to an address that passed `is_forbidden_address`: host names
are checked inside the resolver (so the address checked is the address connected
to, and DNS rebinding cannot win), IP literals before any connection. Redirects
are followed by hand, each hop re-checked and re-signed. An optional host guard (the
instance's domain policy) refuses hosts before any connection, on every hop. Bodies are capped while
reading (after decompression), time is capped per call, and each remote host gets
its own small pool of concurrent requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import metadata
from ipaddress import ip_address
from types import TracebackType
from typing import Self, cast

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from federation.addresses import (
    ForbiddenAddressError,
    GuardedResolver,
    Network,
    is_forbidden_address,
)
from federation.ports import HostGuard, RequestSigner
from federation.signing_threads import SigningThreads

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Credentials that belong to one origin; not replayed to another one on redirect.
_ORIGIN_BOUND_HEADERS = ("authorization", "cookie", "signature", "signature-input")
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpLimits:
    connect_timeout: float = 5.0
    total_timeout: float = 30.0  # whole call: queueing, every redirect hop, the body
    max_response_bytes: int = 1024 * 1024  # decompressed
    max_redirects: int = 3
    per_host_concurrency: int = 8


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str  # the final URL, after redirects


class RequestError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RequestRefused(RequestError):
    """We would not make the request: forbidden address or scheme, too many redirects."""


class RequestFailed(RequestError):
    """The request was made but did not work: network error, timeout, oversized body."""


class ResponseTooLarge(RequestFailed):
    """The body exceeded `max_response_bytes` (counted after decompression)."""


@dataclass
class _Gate:
    semaphore: asyncio.Semaphore
    users: int = 0


@dataclass
class _HostGates:
    """One semaphore per host, dropped again once nobody uses it."""

    size: int
    gates: dict[str, _Gate] = field(default_factory=dict)

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        gate = self.gates.get(host)
        if gate is None:
            gate = self.gates[host] = _Gate(asyncio.Semaphore(self.size))
        gate.users += 1
        try:
            async with gate.semaphore:
                yield
        finally:
            gate.users -= 1
            if gate.users == 0:
                del self.gates[host]


def _version() -> str:
    try:
        return metadata.version("buurtplein")
    except metadata.PackageNotFoundError:
        return "0.0.0"


class HttpClient:
    """One aiohttp session with the policies above; use as ``async with``."""

    def __init__(
        self,
        base_url: str,
        *,
        limits: HttpLimits | None = None,
        allowed: Sequence[Network] = (),
        resolver: AbstractResolver | None = None,
        version: str | None = None,
        signing_threads: int = 4,
        host_guard: HostGuard | None = None,
    ) -> None:
        """`allowed` exempts networks from the address policy (tests, private
        deployments); `resolver` replaces the default resolver that gets wrapped;
        `signing_threads` run costly signatures (RSA) beside the event loop;
        `host_guard` refuses hosts (RequestRefused) before any connection to them."""
        self._host_guard = host_guard
        self.limits = limits or HttpLimits()
        self.user_agent = f"Buurtplein/{version or _version()} (+{base_url})"
        self._allowed = tuple(allowed)
        self._inner_resolver = resolver
        self._gates = _HostGates(self.limits.per_host_concurrency)
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None
        self._signing: SigningThreads | None = None
        self._signing_threads = max(1, signing_threads)

    async def __aenter__(self) -> Self:
        # Threads for costly signatures (RSA): `cryptography` releases the GIL while it
        # signs, so the event loop goes on sending and receiving. More than one thread,
        # even on two cores: each thread also waits for the GIL around every signature
        # (while the loop runs Python), and the others sign meanwhile (docs/performance.md).
        self._signing = SigningThreads(asyncio.get_running_loop(), self._signing_threads)
        resolver = GuardedResolver(self._inner_resolver or DefaultResolver(), self._allowed)
        self._resolver = resolver
        # No connection limit here: the per-host gates bound concurrency instead,
        # so a slow host cannot use up a shared pool.
        connector = aiohttp.TCPConnector(resolver=resolver, limit=0, limit_per_host=0)
        timeout = aiohttp.ClientTimeout(
            total=None,  # enforced per call by asyncio.timeout, across redirects
            connect=self.limits.connect_timeout,
            sock_connect=self.limits.connect_timeout,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,  # no proxy from the environment
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()  # the connector does not own it
            self._resolver = None
        if self._signing is not None:
            self._signing.close()
            self._signing = None

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        signer: RequestSigner | None = None,
    ) -> HttpResponse:
        """GET, following up to `max_redirects` redirects, each hop re-checked."""
        return await self._request("GET", url, headers or {}, None, signer)

    async def post(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        body: bytes,
        *,
        signer: RequestSigner | None = None,
    ) -> HttpResponse:
        """POST; a redirect is never followed but returned as the answer."""
        return await self._request("POST", url, headers or {}, body, signer)

    async def _request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        signer: RequestSigner | None,
    ) -> HttpResponse:
        target = check_url(url, self._allowed)
        await self._guard(target)
        base = {"User-Agent": self.user_agent, **headers}
        follow = method == "GET"
        try:
            async with asyncio.timeout(self.limits.total_timeout):
                for _hop in range(self.limits.max_redirects + 1):
                    send = await self._sign(signer, method, str(target), dict(base), body) if signer else base
                    response, location = await self._exchange(method, target, send, body, follow)
                    if location is None:
                        return response
                    nxt = check_url(str(target.join(location).with_fragment(None)), self._allowed)
                    await self._guard(nxt)
                    if nxt.origin() != target.origin():
                        base = {k: v for k, v in base.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}
                    target = nxt
        except TimeoutError:
            raise RequestFailed("timed out") from None
        raise RequestRefused(f"more than {self.limits.max_redirects} redirects")

    async def _guard(self, url: URL) -> None:
        if self._host_guard is None:
            return
        reason = await self._host_guard((url.raw_host or "").rstrip(".").lower())
        if reason is not None:
            raise RequestRefused(reason)

    async def _sign(
        self, signer: RequestSigner, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        """The signed headers; a signer marked ``costly`` runs on the signing thread. One
        that also offers two steps (``prepare`` giving a PendingSignature-like object with
        ``data`` and ``complete``, and ``raw`` signing bytes) sends only ``raw`` there: the
        thread then never holds the interpreter lock for long, so the loop does not wait
        for it after every system call."""
        if self._signing is None or not getattr(signer, "costly", False):
            return signer(method, url, headers, body)
        prepare, raw = getattr(signer, "prepare", None), getattr(signer, "raw", None)
        if prepare is not None and raw is not None:
            pending = prepare(method, url, headers, body)
            signature = await self._signing.run(raw, pending.data)
            return cast(dict[str, str], pending.complete(signature))
        return await self._signing.run(signer, method, url, headers, body)

    async def _exchange(
        self, method: str, url: URL, headers: dict[str, str], body: bytes | None, follow: bool
    ) -> tuple[HttpResponse, URL | None]:
        """One hop. Returns the response, or the Location to follow (body unread)."""
        if self._session is None:
            raise RuntimeError("HttpClient used outside `async with`")
        host = (url.raw_host or "").rstrip(".")
        try:
            async with (
                self._gates.hold(host),
                self._session.request(method, url, headers=headers, data=body, allow_redirects=False) as resp,
            ):
                location = resp.headers.get("Location")
                if follow and resp.status in REDIRECT_STATUSES and location:
                    return _response(resp, b""), URL(location)
                return _response(resp, await self._read(resp)), None
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, ForbiddenAddressError):
                raise RequestRefused(f"forbidden address for {host}") from None
            raise RequestFailed(f"cannot connect to {host}: {exc.os_error}") from None
        except aiohttp.InvalidURL as exc:
            raise RequestRefused(f"invalid URL: {exc}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise RequestFailed(f"{type(exc).__name__}: {exc}") from None
        except ValueError as exc:  # yarl or aiohttp rejecting a header or URL
            raise RequestRefused(f"invalid request: {exc}") from None

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = self.limits.max_response_bytes
        declared = resp.content_length
        if declared is not None and declared > cap and "Content-Encoding" not in resp.headers:
            resp.close()
            raise ResponseTooLarge(f"response larger than {cap} bytes")
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            total += len(chunk)  # decompressed bytes
            if total > cap or resp.content.total_raw_bytes > cap:
                resp.close()  # stop reading; the connection is dropped, not reused
                raise ResponseTooLarge(f"response larger than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _response(resp: aiohttp.ClientResponse, body: bytes) -> HttpResponse:
    headers = CIMultiDictProxy(CIMultiDict(resp.headers))
    return HttpResponse(status=resp.status, headers=headers, body=body, url=str(resp.url))


def check_url(url: str | URL, allowed: Sequence[Network] = ()) -> URL:
    """Parse `url` and refuse what policy forbids before any connection is made.

    Host names are checked later, by the resolver, on the addresses actually used.
    IP literals never reach a resolver in aiohttp, so they are checked here;
    anything that looks numeric must be a canonical address (no ``2130706433``,
    ``0177.0.0.1`` or ``127.1`` forms).
    """
    try:
        parsed = url if isinstance(url, URL) else URL(url)
    except (ValueError, TypeError) as exc:
        raise RequestRefused(f"invalid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise RequestRefused(f"scheme not allowed: {parsed.scheme or '(none)'}")
    if parsed.user is not None or parsed.password is not None:
        raise RequestRefused("credentials in URL not allowed")
    host = parsed.raw_host
    if not host:
        raise RequestRefused("URL has no host")
    if looks_like_ip_literal(host):
        try:
            ip = ip_address(host)
        except ValueError:
            raise RequestRefused(f"not a canonical IP address: {host}") from None
        if is_forbidden_address(ip, allowed):
            raise RequestRefused(f"forbidden address: {ip}")
    return parsed


def looks_like_ip_literal(host: str) -> bool:
    """aiohttp's test (helpers.is_ip_address) for hosts it connects to without a
    resolver; kept identical so that every such host is checked by `check_url`."""
    return ":" in host or host.replace(".", "").isdigit()
