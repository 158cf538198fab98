from __future__ import annotations

from ipaddress import IPv4Network, ip_address

import pytest

from federation.addresses import is_forbidden_address, parse_networks

FORBIDDEN = [
    "0.0.0.0",
    "0.1.2.3",
    "10.1.2.3",
    "100.64.0.1",  # CGNAT
    "100.127.255.254",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",  # cloud metadata
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",  # benchmarking
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::127.0.0.1",  # IPv4-compatible
    "::8.8.8.8",  # IPv4-compatible, deprecated: refused whatever it carries
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::808:808",  # NAT64 of a public address: the translator is ours to protect
    "64:ff9b:1::1",
    "100::1",
    "2001::1",  # Teredo
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:2::1",  # benchmarking
    "2001:db8::1",  # documentation
    "3fff::1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:808:808::1",  # 6to4 of a public address: 6to4 is deprecated, refused
    "fc00::1",
    "fd12:3456::1",  # ULA
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",  # site-local
    "ff02::1",
    "ff05::1:3",
]

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",
    "172.32.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",  # mapped public IPv4 is judged by the IPv4 address
]


@pytest.mark.parametrize("text", FORBIDDEN)
def test_forbidden(text: str) -> None:
    assert is_forbidden_address(ip_address(text), [])


@pytest.mark.parametrize("text", PUBLIC)
def test_public(text: str) -> None:
    assert not is_forbidden_address(ip_address(text), [])


def test_allowed_networks_exempt_only_their_range() -> None:
    allowed = parse_networks(["127.0.0.2/31"])
    assert not is_forbidden_address(ip_address("127.0.0.2"), allowed)
    assert not is_forbidden_address(ip_address("127.0.0.3"), allowed)
    assert is_forbidden_address(ip_address("127.0.0.1"), allowed)
    assert is_forbidden_address(ip_address("127.0.0.4"), allowed)
    assert is_forbidden_address(ip_address("::1"), allowed)


def test_allowed_applies_to_mapped_addresses() -> None:
    allowed = parse_networks(["127.0.0.2/31"])
    assert not is_forbidden_address(ip_address("::ffff:127.0.0.2"), allowed)
    assert is_forbidden_address(ip_address("::ffff:127.0.0.1"), allowed)


def test_allowed_ipv6_network() -> None:
    allowed = parse_networks(["fd00:1::/64"])
    assert not is_forbidden_address(ip_address("fd00:1::5"), allowed)
    assert is_forbidden_address(ip_address("fd00:2::5"), allowed)
    assert is_forbidden_address(ip_address("10.0.0.1"), allowed)


def test_parse_networks() -> None:
    assert parse_networks([" 10.0.0.0/8", "fd00::/8", "192.0.2.1"]) == (
        IPv4Network("10.0.0.0/8"),
        *parse_networks(["fd00::/8"]),
        IPv4Network("192.0.2.1/32"),
    )
    assert parse_networks([]) == ()


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "not-a-network", "10.0.0.0/33", "", "::1/129"])
def test_parse_networks_rejects_bad_cidr(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid network"):
        parse_networks([bad])
