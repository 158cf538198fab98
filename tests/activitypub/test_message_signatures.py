"""RFC 9421 HTTP Message Signatures: Appendix B.2 vectors, policy, round trips."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from activitypub.digests import make_content_digest
from activitypub.keys import (
    PrivateKey,
    PublicKey,
    generate_ed25519_key,
    generate_rsa_key,
    load_private_key,
    load_public_key,
    public_key_to_pem,
)
from activitypub.message_signatures import select_signature, sign_rfc9421, verify_rfc9421
from activitypub.request_signing import (
    HttpRequestParts,
    sign_request,
    signature_key_id,
    verify_request,
)

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
VECTORS = INTEROP / "vectors" / "rfc9421"

# --- RFC 9421 Appendix B.2: the test request -------------------------------------------
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_BODY = b'{"hello": "world"}'
RFC_HEADERS = {
    "host": "example.com",
    "date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "content-type": "application/json",
    "content-digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNN"
    "yealdVLvRwEmTHWXvJwew==:",
    "content-length": "18",
}
RFC_CREATED = datetime.fromtimestamp(1618884473, UTC)
# B.2.1 Minimal Signature Using rsa-pss-sha512
B21_INPUT = 'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"'
B21_SIGNATURE = (
    "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgG"
    "xbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhz"
    "x2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5Tmc"
    "AnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:"
)
# B.2.2 Selective Covered Components Using rsa-pss-sha512
B22_INPUT = (
    'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473;'
    'keyid="test-key-rsa-pss";tag="header-example"'
)
B22_SIGNATURE = (
    "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4CDfKtjv"
    "uJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQzRw1rLEuEfY17S"
    "ARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U/lankenQ99PZfB4jY3I5r"
    "SV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4bXTugEjHSw==:"
)
# B.2.6 Signing a Request Using ed25519
B26_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
B26_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");'
    'created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
INBOX = "https://b.example/users/bob/inbox?x=1"
KEY_ID = "https://a.example/users/alice#ed25519-key"
ACTIVITY = b'{"type": "Like", "actor": "https://a.example/users/alice"}'


def _vector_file(name: str) -> str:
    path = VECTORS / name
    if not path.is_file():
        pytest.skip(f"RFC 9421 test keys not found at {VECTORS} (../shared/interop is absent)")
    return path.read_text(encoding="ascii")


def _rfc_parts(signature_input: str, signature: str, body: bytes = RFC_BODY) -> HttpRequestParts:
    headers = {**RFC_HEADERS, "signature-input": signature_input, "signature": signature}
    return HttpRequestParts("POST", RFC_URL, headers, body)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return generate_rsa_key()


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return generate_ed25519_key()


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _signed(
    key: PrivateKey,
    method: str = "POST",
    body: bytes | None = ACTIVITY,
    url: str = INBOX,
    **options: Any,
) -> HttpRequestParts:
    headers = sign_rfc9421(
        method,
        url,
        {"Content-Type": "application/activity+json"},
        body,
        key_id=KEY_ID,
        private_key=key,
        now=NOW,
        **options,
    )
    return HttpRequestParts(method, url, _lower(headers), body or b"")


def _check(parts: HttpRequestParts, key: PublicKey, reason: str, **kw: Any) -> None:
    result = verify_request(parts, key, now=kw.pop("now", NOW), **kw)
    assert (result.ok, result.scheme, result.reason) == (reason == "ok", "rfc9421", reason)


# --- Appendix B.2 vectors -----------------------------------------------------------------


def test_b26_ed25519_verifies() -> None:
    """RFC 9421 Appendix B.2.6 (ed25519): the published signature verifies."""
    public = load_public_key(_vector_file("test-key-ed25519.pem"))
    parts = _rfc_parts(B26_INPUT, B26_SIGNATURE)
    assert signature_key_id(parts) == ("test-key-ed25519", "rfc9421")
    result = verify_rfc9421(parts, public, now=RFC_CREATED, max_skew=timedelta(hours=1), enforce_coverage=False)
    assert (result.ok, result.key_id, result.reason) == (True, "test-key-ed25519", "ok")


def test_b26_ed25519_signs_byte_identically() -> None:
    """RFC 9421 Appendix B.2.6: Ed25519 is deterministic, so our headers equal the RFC's."""
    private = load_private_key(_vector_file("test-key-ed25519.key"))
    headers = sign_rfc9421(
        "POST",
        RFC_URL,
        RFC_HEADERS,
        RFC_BODY,
        key_id="test-key-ed25519",
        private_key=private,
        now=RFC_CREATED,
        components=B26_COMPONENTS,
        label="sig-b26",
        add_digest=False,
    )
    assert headers["Signature-Input"] == B26_INPUT
    assert headers["Signature"] == B26_SIGNATURE
    assert headers["content-digest"] == RFC_HEADERS["content-digest"]


def test_b26_is_refused_by_the_inbox_policy() -> None:
    """RFC 9421 B.2.6 covers no content-digest, so a POST with a body is not accepted."""
    public = load_public_key(_vector_file("test-key-ed25519.pem"))
    _check(_rfc_parts(B26_INPUT, B26_SIGNATURE), public, "content-digest not signed", now=RFC_CREATED)


def test_b26_outside_the_window_is_refused() -> None:
    """RFC 9421 B.2.6 checked in 2025: `created` (2021) is far outside the window."""
    public = load_public_key(_vector_file("test-key-ed25519.pem"))
    result = verify_rfc9421(
        _rfc_parts(B26_INPUT, B26_SIGNATURE),
        public,
        now=NOW,
        max_skew=timedelta(hours=1),
        enforce_coverage=False,
    )
    assert (result.ok, result.reason) == (False, "created outside window")


@pytest.mark.parametrize(
    ("signature_input", "signature"),
    [
        pytest.param(B21_INPUT, B21_SIGNATURE, id="B.2.1"),
        pytest.param(B22_INPUT, B22_SIGNATURE, id="B.2.2"),
    ],
)
def test_b21_b22_rsa_pss_vectors(signature_input: str, signature: str) -> None:
    """RFC 9421 Appendix B.2.1 (minimal) and B.2.2 (selective), rsa-pss-sha512.

    RSA-PSS is randomized, so only verification of the published values is possible. The
    library verifies them when told the algorithm; our key-type rule (RSA means
    rsa-v1_5-sha256) and our coverage policy refuse them, as they should.
    """
    public = load_public_key(_vector_file("test-key-rsa-pss.pem"))
    parts = _rfc_parts(signature_input, signature)
    window = timedelta(hours=1)
    explicit = verify_rfc9421(
        parts,
        public,
        now=RFC_CREATED,
        max_skew=window,
        algorithm=algorithms.RSA_PSS_SHA512,
        enforce_coverage=False,
    )
    assert (explicit.ok, explicit.key_id) == (True, "test-key-rsa-pss")
    by_key_type = verify_rfc9421(parts, public, now=RFC_CREATED, max_skew=window, enforce_coverage=False)
    assert (by_key_type.ok, by_key_type.reason) == (False, "bad signature")
    _check(parts, public, "@method not signed", now=RFC_CREATED)


def test_b22_with_a_changed_body_is_refused() -> None:
    """RFC 9421 B.2.2 covers content-digest: a different body fails the digest check."""
    public = load_public_key(_vector_file("test-key-rsa-pss.pem"))
    result = verify_rfc9421(
        _rfc_parts(B22_INPUT, B22_SIGNATURE, b'{"hello": "mars"}'),
        public,
        now=RFC_CREATED,
        max_skew=timedelta(hours=1),
        algorithm=algorithms.RSA_PSS_SHA512,
        enforce_coverage=False,
    )
    assert (result.ok, result.reason) == (False, "digest mismatch")


def test_rfc_rsa_v1_5_key_round_trip() -> None:
    """RFC 9421 B.1.1 test-key-rsa (a PKCS#1 PEM) signs and verifies rsa-v1_5-sha256."""
    private = load_private_key(_vector_file("test-key-rsa.key"))
    public = load_public_key(_vector_file("test-key-rsa.pem"))
    _check(_signed(private), public, "ok")


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["rsa", "ed25519"])
@pytest.mark.parametrize(("method", "body"), [("POST", ACTIVITY), ("GET", None)])
def test_round_trips(
    rsa_key: rsa.RSAPrivateKey,
    ed_key: ed25519.Ed25519PrivateKey,
    which: str,
    method: str,
    body: bytes | None,
) -> None:
    key: PrivateKey = rsa_key if which == "rsa" else ed_key
    headers = sign_request(
        method,
        INBOX,
        {"Accept": "application/activity+json"},
        body,
        key_id=KEY_ID,
        private_key=key,
        now=NOW,
        scheme="rfc9421",
    )
    assert {"Host", "Date", "Signature-Input", "Signature"} <= set(headers)
    assert ("Content-Digest" in headers) == (body is not None)
    assert "Digest" not in headers
    expected = '("@method" "@target-uri" "content-digest")' if body else '("@method" "@target-uri")'
    assert headers["Signature-Input"] == f'sig1={expected};created={int(NOW.timestamp())};keyid="{KEY_ID}"'
    parts = HttpRequestParts(method, INBOX, _lower(headers), body or b"")
    assert signature_key_id(parts) == (KEY_ID, "rfc9421")
    _check(parts, key.public_key(), "ok")


def test_post_without_body_still_gets_a_digest(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key, body=None)
    assert parts.headers["content-digest"] == make_content_digest(b"")
    _check(parts, ed_key.public_key(), "ok")


def test_authority_and_path_instead_of_target_uri(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key, components=("@method", "@authority", "@path"))
    _check(parts, ed_key.public_key(), "ok")


def test_sha512_content_digest_is_accepted(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"Content-Digest": make_content_digest(ACTIVITY, "sha-512")}
    signed = sign_rfc9421(
        "POST",
        INBOX,
        headers,
        ACTIVITY,
        key_id=KEY_ID,
        private_key=ed_key,
        now=NOW,
        components=("@method", "@target-uri", "content-digest"),
        add_digest=False,
    )
    _check(HttpRequestParts("POST", INBOX, _lower(signed), ACTIVITY), ed_key.public_key(), "ok")


# --- negative cases --------------------------------------------------------------------------


class _ForgedAlg(algorithms.ED25519):
    """An Ed25519 signer that labels its signatures `rsa-v1_5-sha256`."""

    algorithm_id = "rsa-v1_5-sha256"


def test_alg_parameter_contradicting_the_key_is_refused(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"Content-Type": "application/activity+json"}
    signer = HTTPMessageSigner(
        signature_algorithm=_ForgedAlg,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: ed_key}),
    )

    class Message:
        method, url = "POST", INBOX

        def __init__(self) -> None:
            self.headers = dict(headers)

    message = Message()
    signer.sign(
        message,
        key_id=KEY_ID,
        created=NOW,
        label="sig1",
        body=ACTIVITY,
        covered_component_ids=("@method", "@target-uri"),
    )
    parts = HttpRequestParts("POST", INBOX, _lower(message.headers), ACTIVITY)
    assert 'alg="rsa-v1_5-sha256"' in parts.headers["signature-input"]
    _check(parts, ed_key.public_key(), "algorithm does not match key")


def test_matching_alg_parameter_is_accepted(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key, include_alg=True)
    assert 'alg="ed25519"' in parts.headers["signature-input"]
    _check(parts, ed_key.public_key(), "ok")


def test_hmac_keyed_with_the_public_pem_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    """The 9421 form of the `httpsig` hole: hmac-sha256 with the public key PEM as secret."""
    secret = public_key_to_pem(rsa_key.public_key()).encode()
    for include_alg, reason in ((True, "algorithm does not match key"), (False, "bad signature")):
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.HMAC_SHA256,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: secret}),
        )

        class Message:
            method, url = "POST", INBOX

            def __init__(self) -> None:
                self.headers: dict[str, str] = {}

        message = Message()
        signer.sign(
            message,
            key_id=KEY_ID,
            created=NOW,
            label="sig1",
            body=ACTIVITY,
            include_alg=include_alg,
            covered_component_ids=("@method", "@target-uri"),
        )
        parts = HttpRequestParts("POST", INBOX, _lower(message.headers), ACTIVITY)
        _check(parts, rsa_key.public_key(), reason)


def test_signature_from_another_key_is_refused(ed_key: ed25519.Ed25519PrivateKey) -> None:
    _check(_signed(generate_ed25519_key()), ed_key.public_key(), "bad signature")


def test_rsa_signature_checked_with_an_ed25519_key(
    rsa_key: rsa.RSAPrivateKey, ed_key: ed25519.Ed25519PrivateKey
) -> None:
    _check(_signed(rsa_key, include_alg=True), ed_key.public_key(), "algorithm does not match key")
    _check(_signed(rsa_key), ed_key.public_key(), "bad signature")


@pytest.mark.parametrize(
    ("components", "reason"),
    [
        (("@target-uri",), "@method not signed"),
        (("@method",), "@target-uri not signed"),
        (("@method", "@authority"), "@target-uri not signed"),
        (("@method", "@path"), "@target-uri not signed"),
    ],
)
def test_required_components(ed_key: ed25519.Ed25519PrivateKey, components: tuple[str, ...], reason: str) -> None:
    _check(_signed(ed_key, method="GET", body=None, components=components), ed_key.public_key(), reason)


def test_components_with_parameters_do_not_count(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key)
    for old, new in (
        ('"@method"', '"@method";req'),
        ('"@target-uri"', '"@target-uri";x=1'),
        ('"content-digest"', '"content-digest";sf'),
    ):
        edited = parts.headers["signature-input"].replace(old, new)
        reason = f"{old.strip(chr(34))} not signed"
        _check(
            HttpRequestParts("POST", INBOX, {**parts.headers, "signature-input": edited}, ACTIVITY),
            ed_key.public_key(),
            reason,
        )


def test_content_digest_must_be_covered_on_post(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"Content-Digest": make_content_digest(ACTIVITY)}
    signed = sign_rfc9421(
        "POST",
        INBOX,
        headers,
        ACTIVITY,
        key_id=KEY_ID,
        private_key=ed_key,
        now=NOW,
        add_digest=False,
    )
    assert "content-digest" not in signed["Signature-Input"]
    _check(
        HttpRequestParts("POST", INBOX, _lower(signed), ACTIVITY),
        ed_key.public_key(),
        "content-digest not signed",
    )


def test_body_changed_after_signing(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key)
    _check(
        HttpRequestParts("POST", INBOX, parts.headers, ACTIVITY + b" "),
        ed_key.public_key(),
        "digest mismatch",
    )


@pytest.mark.parametrize("offset", [timedelta(hours=1, seconds=1), -timedelta(hours=1, seconds=1)])
def test_created_outside_window(ed_key: ed25519.Ed25519PrivateKey, offset: timedelta) -> None:
    _check(_signed(ed_key), ed_key.public_key(), "created outside window", now=NOW + offset)
    assert verify_request(_signed(ed_key), ed_key.public_key(), now=NOW + offset, max_skew=timedelta(hours=2)).ok


def test_expired_signature(ed_key: ed25519.Ed25519PrivateKey) -> None:
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: ed_key}),
    )

    class Message:
        method, url = "GET", INBOX

        def __init__(self) -> None:
            self.headers: dict[str, str] = {}

    message = Message()
    signer.sign(
        message,
        key_id=KEY_ID,
        created=NOW,
        expires=NOW + timedelta(seconds=30),
        label="sig1",
        covered_component_ids=("@method", "@target-uri"),
    )
    parts = HttpRequestParts("GET", INBOX, _lower(message.headers), b"")
    _check(parts, ed_key.public_key(), "ok", now=NOW + timedelta(seconds=20))
    _check(parts, ed_key.public_key(), "signature expired", now=NOW + timedelta(seconds=40))


def test_missing_created(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key)
    stripped = parts.headers["signature-input"].replace(f";created={int(NOW.timestamp())}", "")
    _check(
        HttpRequestParts("POST", INBOX, {**parts.headers, "signature-input": stripped}, ACTIVITY),
        ed_key.public_key(),
        "missing created",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://b.example/users/bob/inbox",
        "https://c.example/users/bob/inbox?x=1",
        "http://b.example/users/bob/inbox?x=1",
    ],
)
def test_replay_to_another_target(ed_key: ed25519.Ed25519PrivateKey, url: str) -> None:
    parts = _signed(ed_key)
    _check(HttpRequestParts("POST", url, parts.headers, ACTIVITY), ed_key.public_key(), "bad signature")


def test_unknown_signature_parameter_is_refused(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key)
    extended = parts.headers["signature-input"] + ";foo=1"
    _check(
        HttpRequestParts("POST", INBOX, {**parts.headers, "signature-input": extended}, ACTIVITY),
        ed_key.public_key(),
        "unverifiable signature input",
    )


def test_only_the_first_signature_is_used(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed(ed_key)
    headers = dict(parts.headers)
    headers["signature-input"] += ', other=("@method");created=1;keyid="https://evil.example/k"'
    headers["signature"] += ", other=:AAAA:"
    both = HttpRequestParts("POST", INBOX, headers, ACTIVITY)
    assert select_signature(both.headers).label == "sig1"
    assert signature_key_id(both) == (KEY_ID, "rfc9421")
    _check(both, ed_key.public_key(), "ok")


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ("", "sig1=:AAAA:", "malformed signature-input header"),
        ("sig1=(", "sig1=:AAAA:", "malformed signature-input header"),
        ('sig1=("@method");created=1;keyid="k"', "sig1=AAAA", "malformed signature header"),
        ('sig1="@method";created=1;keyid="k"', "sig1=:AAAA:", "malformed signature-input header"),
        ('sig1=("@method");created=1;keyid="k"', "sig2=:AAAA:", "missing signature"),
        ('sig1=("@method");created=1', "sig1=:AAAA:", "missing keyid"),
        ('sig1=("@method");created=1;keyid=""', "sig1=:AAAA:", "missing keyid"),
        ('sig1=("@method");created="1";keyid="k"', "sig1=:AAAA:", "malformed created"),
        ('sig1=("@method");created=?1;keyid="k"', "sig1=:AAAA:", "malformed created"),
        (
            'sig1=("@method");created=999999999999999;keyid="k"',
            "sig1=:AAAA:",
            "malformed timestamp",
        ),
        (
            'sig1=("@method");keyid="k",' + " " * 9000,
            "sig1=:AAAA:",
            "signature-input header too large",
        ),
        (
            'sig1=("@method");created=1;keyid="k"',
            "sig1=:" + "A" * 9000 + ":",
            "signature header too large",
        ),
        ('sig1=("@méthod");keyid="k"', "sig1=:AAAA:", "malformed signature-input header"),
    ],
)
def test_malformed_headers(
    ed_key: ed25519.Ed25519PrivateKey, signature_input: str, signature: str, reason: str
) -> None:
    parts = HttpRequestParts("GET", INBOX, {"signature-input": signature_input, "signature": signature}, b"")
    _check(parts, ed_key.public_key(), reason)


def test_missing_signature_header(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = HttpRequestParts("GET", INBOX, {"signature-input": 'sig1=("@method");keyid="k"'}, b"")
    assert signature_key_id(parts) is None
    _check(parts, ed_key.public_key(), "missing signature")


def test_default_signature_built_directly_verifies_with_the_library() -> None:
    """Our deliveries' RFC 9421 signature is built without the library's signer; the
    library's verifier (used for every incoming request) must accept it, for both key types."""
    from datetime import UTC, datetime

    from activitypub import keys as key_module
    from activitypub.message_signatures import sign_rfc9421, verify_rfc9421
    from activitypub.signatures import HttpRequestParts

    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    for private in (key_module.generate_ed25519_key(), key_module.generate_rsa_key()):
        body = b'{"type":"Create"}'
        url = "https://b.example/users/x/inbox?page=1"
        headers = sign_rfc9421(
            "POST",
            url,
            {"Content-Type": "application/activity+json"},
            body,
            key_id="https://a.example/actor#k",
            private_key=private,
            now=now,
        )
        assert headers["Signature-Input"].startswith('sig1=("@method" "@target-uri" "content-digest");created=')
        parts = HttpRequestParts("POST", url, {k.lower(): v for k, v in headers.items()}, body)
        assert verify_rfc9421(parts, private.public_key(), now=now, max_skew=timedelta(hours=1)).ok
        tampered = HttpRequestParts("POST", url, parts.headers, body + b" ")
        assert not verify_rfc9421(tampered, private.public_key(), now=now, max_skew=timedelta(hours=1)).ok
