"""RFC 9421: the direct verification of the common message shape agrees with the library.

Messages are signed by `http-message-signatures` itself with many component sets, labels,
parameters and URLs; each is verified by the direct path and by the library path, and
every mutation must fail on both."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from activitypub.keys import PrivateKey, generate_ed25519_key, generate_rsa_key
from activitypub.message_signatures import (
    _simple_verify,
    algorithm_for,
    select_signature,
    sign_rfc9421,
    verify_rfc9421,
)
from activitypub.signatures import HttpRequestParts, VerifyResult

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
SKEW = timedelta(hours=1)
KEY_ID = "https://a.example/users/alice#main-key"
BODY = b'{"type": "Create", "content": "hallo buurt"}'
URLS = (
    "https://b.example/users/bob/inbox",
    "https://b.example/inbox?page=2&x=%20y",
    "http://127.0.0.2:8080/inbox",
    "https://b.example:8443/users/bob/inbox?",
)
COMPONENTS = (
    ("@method", "@target-uri"),
    ("@method", "@authority", "@path"),
    ("@method", "@authority", "@path", "@query"),
    ("@method", "@scheme", "@authority", "@path", "@request-target", "date"),
    ("@method", "@target-uri", "host", "date", "content-type"),
)


@pytest.fixture(scope="module", params=["rsa", "ed25519"])
def key(request: pytest.FixtureRequest) -> PrivateKey:
    return generate_rsa_key() if request.param == "rsa" else generate_ed25519_key()


def signed(key: PrivateKey, url: str, components: tuple[str, ...], **options: Any) -> HttpRequestParts:
    headers = sign_rfc9421(
        "POST",
        url,
        {"Content-Type": "application/activity+json", "Date": "Sat, 01 Mar 2025 12:00:00 GMT", "Host": "b.example"},
        BODY,
        key_id=KEY_ID,
        private_key=key,
        now=NOW,
        components=components,
        **options,
    )
    return HttpRequestParts("POST", url, {k.lower(): v for k, v in headers.items()}, BODY)


def both(parts: HttpRequestParts, key: PrivateKey) -> tuple[VerifyResult | None, VerifyResult]:
    """(direct path, library path) for the same message."""
    public = key.public_key()
    direct = _simple_verify(parts, public, now=NOW, max_skew=SKEW)
    sel = select_signature(parts.headers)
    library = verify_rfc9421(parts, public, now=NOW, max_skew=SKEW, algorithm=_algorithm(key), enforce_coverage=True)
    assert sel.key_id == KEY_ID
    return direct, library


def _flip(value: str, index: int) -> str:
    """`value` with one base64 character changed to another."""
    new = "A" if value[index] != "A" else "B"
    return value[:index] + new + value[index + 1 :]


def _algorithm(key: PrivateKey) -> Any:
    return algorithm_for(key)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("components", COMPONENTS)
@pytest.mark.parametrize("options", [{}, {"label": "buurt"}, {"include_alg": True}])
def test_direct_path_agrees_with_the_library(
    key: PrivateKey, url: str, components: tuple[str, ...], options: dict[str, Any]
) -> None:
    parts = signed(key, url, components, **options)
    direct, library = both(parts, key)
    assert direct is not None, "the common shape must take the direct path"
    assert library.ok and direct.ok, (direct, library)
    assert direct.key_id == library.key_id == KEY_ID


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: replace(p, body=p.body + b" "),
        lambda p: replace(p, method="PUT"),
        lambda p: replace(p, url=p.url.replace("/inbox", "/outbox")),
        lambda p: replace(p, headers={**p.headers, "date": "Sat, 01 Mar 2025 12:00:01 GMT"}),
        lambda p: replace(p, headers={**p.headers, "content-type": "text/html"}),
        lambda p: replace(
            p, headers={**p.headers, "signature-input": p.headers["signature-input"].replace("created=", "created=1")}
        ),
        lambda p: replace(p, headers={**p.headers, "signature": _flip(p.headers["signature"], -6)}),
    ],
)
def test_mutations_fail_on_both_paths(key: PrivateKey, mutate: Any) -> None:
    parts = signed(key, "https://b.example/users/bob/inbox", ("@method", "@target-uri", "date", "content-type"))
    changed = mutate(parts)
    assert changed != parts
    direct, library = both(changed, key)
    assert not library.ok
    assert direct is None or not direct.ok


@pytest.mark.parametrize(
    "signature_input",
    [
        'sig1=("@method" "@target-uri");created=1740830400;keyid="k";keyid="k"',  # duplicate parameter
        'sig1=("@method" "@method");created=1740830400;keyid="k"',  # duplicate component
        'sig1=("@method" "@target-uri";sf);created=1740830400;keyid="k"',  # component parameter
        'sig1=("@method" "@target-uri");created=01740830400;keyid="k"',  # not canonical
        'sig1=("@method" "@target-uri");created=1740830400;keyid="k", sig2=("@method");keyid="k"',
        'sig1=("@method" "Host");created=1740830400;keyid="k"',  # upper-case field name
        'sig1=("@method" "@target-uri");created=1740830400;keyid=k',  # token, not a string
        'sig1=("@method" "@target-uri");created=1740830400;keyid="a\\"b"',  # escape
    ],
)
def test_unusual_shapes_are_left_to_the_library(signature_input: str) -> None:
    parts = HttpRequestParts(
        "POST",
        "https://b.example/inbox",
        {"signature-input": signature_input, "signature": "sig1=:AAAA:", "host": "b.example"},
        b"",
    )
    assert _simple_verify(parts, generate_ed25519_key().public_key(), now=NOW, max_skew=SKEW) is None


def test_unusual_urls_are_left_to_the_library() -> None:
    key = generate_ed25519_key()
    for url in ("https://b.example:443/inbox", "https://B.example/inbox", "https://b.example/in box"):
        parts = signed(key, "https://b.example/inbox", ("@method", "@target-uri"))
        assert _simple_verify(replace(parts, url=url), key.public_key(), now=NOW, max_skew=SKEW) is None
