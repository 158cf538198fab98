"""draft-cavage: the direct verification of the usual request shape agrees with the
general path.

Requests are signed with many header lists, parameter orders, hosts and dates; then
mutated (each header, the body, the parameters). For every request the direct path
either declines (None) or gives exactly the general path's answer, and every
well-formed request of the usual shape is taken by the direct path."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activitypub.digests import make_digest
from activitypub.keys import PrivateKey, PublicKey, generate_ed25519_key, generate_rsa_key
from activitypub.signatures import (
    HttpRequestParts,
    general_cavage,
    signing_string,
    simple_cavage,
    url_authority,
    verify_cavage,
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
SKEW = timedelta(hours=1)
KEY_ID = "https://a.example/users/alice#main-key"
URL = "https://b.example/users/bob/inbox"
BODY = b'{"type": "Create", "content": "hallo buurt"}'
HEADER_LISTS = (
    ("(request-target)", "host", "date", "digest", "content-type"),
    ("(request-target)", "host", "date", "digest"),
    ("(request-target)", "date", "host", "digest", "user-agent"),
    ("(request-target)", "host", "date", "digest", "accept", "content-type"),
)


@pytest.fixture(scope="module", params=["rsa", "ed25519"])
def key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_rsa_key() if request.param == "rsa" else generate_ed25519_key()


def signed(
    key: PrivateKey, names: tuple[str, ...] = HEADER_LISTS[0], *, url: str = URL, method: str = "POST"
) -> HttpRequestParts:
    """A request signed over `names` (the header order Mastodon uses)."""
    body = BODY if method == "POST" else b""
    headers = {
        "host": url_authority(url),
        "date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "digest": make_digest(body),
        "content-type": "application/activity+json",
        "accept": "application/activity+json",
        "user-agent": "peer/1.0",
    }
    text = signing_string(method, url, headers, names).encode()
    if isinstance(key, rsa.RSAPrivateKey):
        raw, algorithm = key.sign(text, padding.PKCS1v15(), hashes.SHA256()), "rsa-sha256"
    else:
        raw, algorithm = key.sign(text), "hs2019"
    headers["signature"] = (
        f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    return HttpRequestParts(method, url, headers, body)


def agree(parts: HttpRequestParts, public: PublicKey, now: datetime = NOW) -> None:
    general = general_cavage(parts, public, now=now, max_skew=SKEW)
    direct = simple_cavage(parts, public, now, SKEW)
    if direct is not None:
        assert direct == general, (direct, general)
    assert verify_cavage(parts, public, now=now, max_skew=SKEW) == general


@pytest.mark.parametrize("names", HEADER_LISTS)
def test_usual_requests_take_the_direct_path(key: PrivateKey, names: tuple[str, ...]) -> None:
    parts = signed(key, names)
    direct = simple_cavage(parts, key.public_key(), NOW, SKEW)
    assert direct is not None and direct.ok and direct.key_id == KEY_ID
    agree(parts, key.public_key())


def test_signed_get_takes_the_direct_path(key: PrivateKey) -> None:
    parts = signed(key, ("(request-target)", "host", "date", "accept"), method="GET")
    direct = simple_cavage(parts, key.public_key(), NOW, SKEW)
    assert direct is not None and direct.ok


@pytest.mark.parametrize("url", ["https://b.example/inbox?page=2&x=%20y", "http://127.0.0.2:8080/inbox"])
def test_other_urls_agree(key: PrivateKey, url: str) -> None:
    agree(signed(key, url=url), key.public_key())


def test_mutated_headers_agree(key: PrivateKey) -> None:
    public = key.public_key()
    parts = signed(key)
    for name, value in parts.headers.items():
        for changed in (value + "x", value.upper(), " " + value + " ", "", value[:-2]):
            agree(replace(parts, headers={**parts.headers, name: changed}), public)
        agree(replace(parts, headers={k: v for k, v in parts.headers.items() if k != name}), public)


def test_mutated_bodies_methods_and_urls_agree(key: PrivateKey) -> None:
    public = key.public_key()
    parts = signed(key)
    for body in (b"", BODY + b" ", BODY.upper()):
        agree(replace(parts, body=body), public)
    for method in ("GET", "post", "PUT"):
        agree(replace(parts, method=method), public)
    for url in (URL + "x", URL.replace("https", "http"), "https://c.example/users/bob/inbox"):
        agree(replace(parts, url=url), public)


def test_mutated_signature_parameters_agree(key: PrivateKey) -> None:
    public = key.public_key()
    parts = signed(key)
    header = parts.headers["signature"]
    variants = [
        header.replace("keyId=", "keyid="),
        header.replace('algorithm="rsa-sha256"', 'algorithm="hs2019"'),
        header.replace('algorithm="rsa-sha256"', 'algorithm="hmac-sha256"'),
        header.replace('algorithm="hs2019"', 'algorithm="ed25519"'),
        header.replace('algorithm="hs2019"', 'algorithm="rsa-sha256"'),
        header.replace(",algorithm=", ", algorithm="),
        header.replace("(request-target) ", ""),
        header.replace(" host", ""),
        header.replace(" date", ""),
        header.replace(" digest", ""),
        header.replace("host date", "host host date"),
        header.replace("(request-target)", "(request-target) (created)"),
        header.replace(KEY_ID, KEY_ID + '",x="y'),
        header.replace(KEY_ID, KEY_ID + "\\"),
        header.replace(KEY_ID, "line\nbreak"),
        header.replace(KEY_ID, ""),
        header.replace('signature="', 'signature="AAAA'),
        header.replace('signature="', 'signature=" '),
        header[:-1] + '=="',
        header + ',created="1"',
        'headers="(request-target) host date digest content-type",' + header,
    ]
    for value in variants:
        agree(replace(parts, headers={**parts.headers, "signature": value}), public)


def test_dates_at_and_beyond_the_window_agree(key: PrivateKey) -> None:
    public = key.public_key()
    parts = signed(key)
    for shift in (SKEW - timedelta(seconds=1), SKEW, SKEW + timedelta(seconds=1)):
        agree(parts, public, NOW + shift)
        agree(parts, public, NOW - shift)
    agree(parts, public, NOW.replace(tzinfo=None))


def test_a_key_of_the_same_kind_that_did_not_sign_is_refused_on_both_paths(key: PrivateKey) -> None:
    other = generate_rsa_key() if key.public_key().__class__.__name__.startswith("RSA") else generate_ed25519_key()
    parts = signed(key)
    direct = simple_cavage(parts, other.public_key(), NOW, SKEW)
    assert direct is not None and not direct.ok and direct.reason == "bad signature"
    agree(parts, other.public_key())


def test_a_key_of_the_other_kind_agrees(key: PrivateKey) -> None:
    other = generate_ed25519_key() if key.public_key().__class__.__name__.startswith("RSA") else generate_rsa_key()
    agree(signed(key), other.public_key())
