"""Which IP addresses outbound federation traffic may connect to.

Remote servers choose the URLs we fetch, so every address we connect to must be a
public unicast address. Anything that could reach this host, the local network,
or infrastructure behind it is refused, unless an operator explicitly allowed
the range (tests allow a loopback range; a private deployment may allow its LAN).

`GuardedResolver` applies the policy to every address a host name resolves to, so
the address checked is the address aiohttp connects to.

The tables follow the IANA IPv4 and IPv6 special-purpose address registries. The
standard library's ``is_*`` flags are consulted as well, as a second opinion.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from aiohttp.abc import AbstractResolver, ResolveResult

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

_FORBIDDEN_V4: tuple[IPv4Network, ...] = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (CGNAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "192.175.48.0/24",  # direct delegation AS112
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast 255.255.255.255
    )
)

_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")

_FORBIDDEN_V6: tuple[IPv6Network, ...] = tuple(
    IPv6Network(n)
    for n in (
        "::/8",  # reserved: unspecified, loopback, IPv4-compatible (::a.b.c.d)
        "64:ff9b::/96",  # NAT64 well-known prefix
        "64:ff9b:1::/48",  # NAT64 local-use prefix
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: tunnels to an embedded IPv4 address
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing SIDs
        "fc00::/7",  # unique local addresses (ULA)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)


def is_forbidden_address(ip: Address, allowed: Sequence[Network] = ()) -> bool:
    """True when outbound traffic must not connect to `ip`.

    An address inside one of `allowed` is never forbidden. An IPv4-mapped IPv6
    address (``::ffff:a.b.c.d``) is judged by the IPv4 address it carries.
    """
    if _in_any(ip, allowed):
        return False
    if isinstance(ip, IPv6Address):
        if ip.scope_id is not None:
            return True  # zoned addresses only make sense on a local link
        if ip in _IPV4_MAPPED:
            mapped = ip.ipv4_mapped
            assert mapped is not None
            return is_forbidden_address(mapped, allowed)
        if _in_any(ip, _FORBIDDEN_V6) or ip.is_site_local:
            return True
    elif _in_any(ip, _FORBIDDEN_V4):
        return True
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def parse_networks(specs: Iterable[str]) -> tuple[Network, ...]:
    """Parse CIDR strings such as ``"127.0.0.2/31"`` or ``"fd00::/8"``.

    Host bits must be zero; a bare address means a single-address network.
    """
    networks: list[Network] = []
    for spec in specs:
        text = spec.strip()
        try:
            networks.append(ip_network(text, strict=True))
        except ValueError as exc:
            raise ValueError(f"invalid network {spec!r}: expected CIDR like 10.0.0.0/8 ({exc})") from None
    return tuple(networks)


def _in_any(ip: Address, networks: Iterable[Network]) -> bool:
    # `in` across IP versions is simply False, so mixed lists are fine.
    return any(ip in net for net in networks)


class ForbiddenAddressError(OSError):
    """Raised by the resolver when every address of a host name is forbidden."""


class GuardedResolver(AbstractResolver):
    """Wraps another resolver and drops the addresses we must not connect to."""

    def __init__(self, inner: AbstractResolver, allowed: Sequence[Network] = ()) -> None:
        self._inner = inner
        self._allowed = tuple(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept = [r for r in results if self._permitted(r["host"])]
        if not kept:
            raise ForbiddenAddressError(f"{host} has no permitted address")
        return kept

    def _permitted(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return not is_forbidden_address(ip, self._allowed)

    async def close(self) -> None:
        await self._inner.close()
