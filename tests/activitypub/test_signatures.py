"""draft-cavage-http-signatures-12 signatures and the request_signing entry point."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from activitypub.digests import make_digest
from activitypub.keys import (
    PrivateKey,
    generate_ed25519_key,
    generate_rsa_key,
    load_private_key,
    load_public_key,
    public_key_to_pem,
)
from activitypub.request_signing import (
    HttpRequestParts,
    sign_request,
    signature_key_id,
    verify_request,
)
from activitypub.signatures import (
    SignatureError,
    parse_signature_header,
    signing_string,
    verify_bytes,
)

# --- draft-cavage-http-signatures-12, Appendix C ---------------------------------------
# The draft calls it a 2048-bit key; it is really 1024-bit (checked below).
DRAFT_PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----"""
DRAFT_PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----"""
# "All examples use this request": POST /foo?param=value&pet=dog
DRAFT_URL = "https://example.com/foo?param=value&pet=dog"
DRAFT_BODY = b'{"hello": "world"}'
DRAFT_HEADERS = {
    "host": "example.com",
    "date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "content-type": "application/json",
    "digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "content-length": "18",
}
DRAFT_NOW = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)
C1_SIGNATURE = (
    "SjWJWbWN7i0wzBvtPl8rbASWz5xQW6mcJmn+ibttBqtifLN7Sazz6m79cNfwwb8DMJ5cou1s7uEGKKCs+FLEEaDV5lp7"
    "q25WqS+lavg7T8hc0GppauB6hbgEKTwblDHYGEtbGmtdHgVCk9SuS13F0hZ8FD0k/5OxEPXe5WozsbM="
)
C2_SIGNATURE = (
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe"
    "8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0="
)
C3_HEADERS = "(request-target) host date content-type digest content-length"
C3_SIGNATURE = (
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEU"
    "HFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE="
)

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
INBOX = "https://b.example/users/bob/inbox"
KEY_ID = "https://a.example/users/alice#main-key"
ACTIVITY = b'{"type": "Follow", "actor": "https://a.example/users/alice"}'


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return generate_rsa_key()


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return generate_ed25519_key()


def _draft_parts(signature_header: str, url: str = DRAFT_URL) -> HttpRequestParts:
    return HttpRequestParts("POST", url, {**DRAFT_HEADERS, "signature": signature_header}, DRAFT_BODY)


def _draft_signature(names: str, signature: str) -> str:
    return f'keyId="Test",algorithm="rsa-sha256",headers="{names}",signature="{signature}"'


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _signed_post(key: PrivateKey, body: bytes = ACTIVITY, url: str = INBOX) -> HttpRequestParts:
    headers = sign_request(
        "POST",
        url,
        {"Content-Type": "application/activity+json"},
        body,
        key_id=KEY_ID,
        private_key=key,
        now=NOW,
    )
    return HttpRequestParts("POST", url, _lower(headers), body)


def _hand_signed(
    key: PrivateKey,
    names: str,
    *,
    algorithm: str = "rsa-sha256",
    extra: Mapping[str, str] | None = None,
    created: str | None = None,
    method: str = "POST",
    body: bytes = ACTIVITY,
) -> HttpRequestParts:
    """A request signed with `key` over exactly `names` (to test the coverage policy)."""
    headers = {
        "host": "b.example",
        "date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "digest": make_digest(body),
        "content-type": "application/activity+json",
        **(extra or {}),
    }
    text = signing_string(method, INBOX, headers, names.split(), created=created).encode()
    raw = key.sign(text, padding.PKCS1v15(), hashes.SHA256()) if isinstance(key, rsa.RSAPrivateKey) else key.sign(text)
    created_param = f",created={created}" if created else ""
    headers["signature"] = (
        f'keyId="{KEY_ID}",algorithm="{algorithm}"{created_param},headers="{names}",'
        f'signature="{base64.b64encode(raw).decode()}"'
    )
    return HttpRequestParts(method, INBOX, headers, body)


# --- Appendix C vectors ----------------------------------------------------------------


def test_draft_test_key_is_really_1024_bit() -> None:
    """draft-cavage-12 Appendix C: the key the draft calls "2048-bit"."""
    public = load_public_key(DRAFT_PUBLIC_KEY)
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == 1024
    private = load_private_key(DRAFT_PRIVATE_KEY)
    assert public_key_to_pem(private.public_key()) == public_key_to_pem(public)


@pytest.mark.parametrize(
    ("names", "expected_text", "published"),
    [
        pytest.param(["date"], "date: Sun, 05 Jan 2014 21:31:40 GMT", C1_SIGNATURE, id="C.1-default"),
        pytest.param(
            ["(request-target)", "host", "date"],
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT",
            C2_SIGNATURE,
            id="C.2-basic",
        ),
        pytest.param(
            C3_HEADERS.split(),
            "(request-target): post /foo?param=value&pet=dog\nhost: example.com\n"
            "date: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n"
            "digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18",
            C3_SIGNATURE,
            id="C.3-all-headers",
        ),
    ],
)
def test_draft_appendix_c_vectors(names: list[str], expected_text: str, published: str) -> None:
    """draft-cavage-http-signatures-12 Appendix C.1/C.2/C.3: signing string, signature, verify."""
    text = signing_string("POST", DRAFT_URL, DRAFT_HEADERS, names)
    assert text == expected_text
    private = load_private_key(DRAFT_PRIVATE_KEY)
    assert isinstance(private, rsa.RSAPrivateKey)
    ours = private.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    assert base64.b64encode(ours).decode() == published  # RSASSA-PKCS1-v1_5 is deterministic
    verify_bytes(load_public_key(DRAFT_PUBLIC_KEY), base64.b64decode(published), text.encode())


def test_draft_c1_header_parses_with_the_default_headers_list() -> None:
    """draft-cavage-12 C.1: without `headers`, only `date` is signed; our policy refuses it."""
    header = f'keyId="Test",algorithm="rsa-sha256",signature="{C1_SIGNATURE}"'
    assert parse_signature_header(header).headers == ("date",)
    result = verify_request(_draft_parts(header), load_public_key(DRAFT_PUBLIC_KEY), now=DRAFT_NOW)
    assert (result.ok, result.reason) == (False, "(request-target) not signed")


def test_draft_c2_is_refused_on_post_because_the_digest_is_not_signed() -> None:
    """draft-cavage-12 C.2 (basic): valid signature, but a POST must sign its digest."""
    parts = _draft_parts(_draft_signature("(request-target) host date", C2_SIGNATURE))
    result = verify_request(parts, load_public_key(DRAFT_PUBLIC_KEY), now=DRAFT_NOW)
    assert (result.ok, result.reason) == (False, "digest not signed")


def test_draft_c3_verifies_through_verify_request() -> None:
    """draft-cavage-12 C.3 (all headers) passes the whole inbox check."""
    parts = _draft_parts(_draft_signature(C3_HEADERS, C3_SIGNATURE))
    assert signature_key_id(parts) == ("Test", "cavage")
    result = verify_request(parts, load_public_key(DRAFT_PUBLIC_KEY), now=DRAFT_NOW)
    assert (result.ok, result.key_id, result.scheme, result.reason) == (
        True,
        "Test",
        "cavage",
        "ok",
    )


def test_draft_c3_with_a_changed_body_is_refused() -> None:
    parts = _draft_parts(_draft_signature(C3_HEADERS, C3_SIGNATURE))
    tampered = HttpRequestParts(parts.method, parts.url, parts.headers, b'{"hello": "mars!"}')
    result = verify_request(tampered, load_public_key(DRAFT_PUBLIC_KEY), now=DRAFT_NOW)
    assert (result.ok, result.reason) == (False, "digest mismatch")


# --- round trips -------------------------------------------------------------------------


def test_rsa_post_round_trip(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    assert parts.headers["host"] == "b.example"
    assert parts.headers["date"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    assert parts.headers["digest"] == make_digest(ACTIVITY)
    sig = parse_signature_header(parts.headers["signature"])
    assert sig.algorithm == "rsa-sha256"
    assert sig.headers == ("(request-target)", "host", "date", "digest", "content-type")
    assert signature_key_id(parts) == (KEY_ID, "cavage")
    assert verify_request(parts, rsa_key.public_key(), now=NOW).ok


def test_rsa_get_round_trip_signs_accept(rsa_key: rsa.RSAPrivateKey) -> None:
    url = "https://b.example/users/bob?page=1"
    headers = sign_request(
        "GET",
        url,
        {"Accept": "application/activity+json"},
        None,
        key_id=KEY_ID,
        private_key=rsa_key,
        now=NOW,
    )
    assert "Digest" not in headers
    sig = parse_signature_header(headers["Signature"])
    assert sig.headers == ("(request-target)", "host", "date", "accept")
    parts = HttpRequestParts("GET", url, _lower(headers), b"")
    assert verify_request(parts, rsa_key.public_key(), now=NOW).ok


def test_ed25519_cavage_hs2019_round_trip(ed_key: ed25519.Ed25519PrivateKey) -> None:
    parts = _signed_post(ed_key)
    assert parse_signature_header(parts.headers["signature"]).algorithm == "hs2019"
    result = verify_request(parts, ed_key.public_key(), now=NOW)
    assert (result.ok, result.scheme, result.reason) == (True, "cavage", "ok")


def test_sign_request_replaces_stale_host_date_digest_and_signature(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    stale = {"host": "old", "DATE": "x", "Digest": "y", "signature": "z", "X-Extra": "kept"}
    headers = sign_request("POST", INBOX, stale, ACTIVITY, key_id=KEY_ID, private_key=rsa_key, now=NOW)
    assert sorted(headers) == ["Date", "Digest", "Host", "Signature", "X-Extra"]


def test_authorization_signature_header_is_accepted(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    headers = dict(parts.headers)
    headers["authorization"] = "Signature " + headers.pop("signature")
    moved = HttpRequestParts(parts.method, parts.url, headers, parts.body)
    assert verify_request(moved, rsa_key.public_key(), now=NOW).ok


def test_ed25519_with_created_instead_of_date(ed_key: ed25519.Ed25519PrivateKey) -> None:
    created = str(int(NOW.timestamp()) - 30)
    parts = _hand_signed(ed_key, "(request-target) (created) host digest", algorithm="hs2019", created=created)
    assert verify_request(parts, ed_key.public_key(), now=NOW).ok
    late = verify_request(parts, ed_key.public_key(), now=NOW + timedelta(hours=2))
    assert (late.ok, late.reason) == (False, "created outside window")


# --- negative cases ----------------------------------------------------------------------


def test_regression_hmac_keyed_with_the_public_pem_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    """The `httpsig` hole: algorithm=hmac-sha256 "keyed" with the sender's public key PEM."""
    public_pem = public_key_to_pem(rsa_key.public_key()).encode()
    headers = {
        "host": "b.example",
        "date": "Sat, 01 Mar 2025 12:00:00 GMT",
        "digest": make_digest(ACTIVITY),
    }
    names = "(request-target) host date digest"
    text = signing_string("POST", INBOX, headers, names.split()).encode()
    forged = base64.b64encode(hmac.new(public_pem, text, hashlib.sha256).digest()).decode()
    for algorithm, reason in (
        ("hmac-sha256", "algorithm does not match key"),
        ("hs2019", "bad signature"),
        ("rsa-sha256", "bad signature"),
    ):
        headers["signature"] = f'keyId="{KEY_ID}",algorithm="{algorithm}",headers="{names}",signature="{forged}"'
        result = verify_request(HttpRequestParts("POST", INBOX, dict(headers), ACTIVITY), rsa_key.public_key(), now=NOW)
        assert (result.ok, result.reason) == (False, reason), algorithm


@pytest.mark.parametrize("algorithm", ["rsa-sha256", "hmac-sha256", "ecdsa-sha256", "rsa-sha1"])
def test_header_algorithm_contradicting_an_ed25519_key_is_refused(
    ed_key: ed25519.Ed25519PrivateKey, algorithm: str
) -> None:
    parts = _hand_signed(ed_key, "(request-target) host date digest", algorithm=algorithm)
    result = verify_request(parts, ed_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "algorithm does not match key")


@pytest.mark.parametrize("algorithm", ["ed25519", "hmac-sha256", "rsa-sha512"])
def test_header_algorithm_contradicting_an_rsa_key_is_refused(rsa_key: rsa.RSAPrivateKey, algorithm: str) -> None:
    parts = _hand_signed(rsa_key, "(request-target) host date digest", algorithm=algorithm)
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "algorithm does not match key")


def test_signature_from_another_key_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    result = verify_request(_signed_post(generate_rsa_key()), rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "bad signature")


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        ("host date digest", "(request-target) not signed"),
        ("(request-target) date digest", "host not signed"),
        ("(request-target) host digest", "date not signed"),
        ("(request-target) host date", "digest not signed"),
        ("(request-target) host date content-type", "digest not signed"),
    ],
)
def test_required_signed_headers(rsa_key: rsa.RSAPrivateKey, names: str, reason: str) -> None:
    result = verify_request(_hand_signed(rsa_key, names), rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, reason)


def test_get_without_body_does_not_need_a_digest(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _hand_signed(rsa_key, "(request-target) host date", method="GET", body=b"")
    assert verify_request(parts, rsa_key.public_key(), now=NOW).ok


def test_created_is_refused_with_rsa_sha256(rsa_key: rsa.RSAPrivateKey) -> None:
    created = str(int(NOW.timestamp()))
    parts = _hand_signed(rsa_key, "(request-target) (created) host digest", created=created)
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "(created) not allowed with this algorithm")


def test_body_changed_after_signing(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    changed = HttpRequestParts(parts.method, parts.url, parts.headers, ACTIVITY + b" ")
    result = verify_request(changed, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "digest mismatch")


def test_body_and_digest_header_both_replaced(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    body = b'{"type": "Delete"}'
    headers = {**parts.headers, "digest": make_digest(body)}
    result = verify_request(HttpRequestParts("POST", INBOX, headers, body), rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "bad signature")


def test_digest_header_present_but_not_signed(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _hand_signed(rsa_key, "(request-target) host date content-type")
    assert "digest" in parts.headers
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "digest not signed")


@pytest.mark.parametrize("offset", [timedelta(hours=1, seconds=1), -timedelta(hours=1, seconds=1)])
def test_date_outside_window(rsa_key: rsa.RSAPrivateKey, offset: timedelta) -> None:
    parts = _signed_post(rsa_key)
    result = verify_request(parts, rsa_key.public_key(), now=NOW + offset)
    assert (result.ok, result.reason) == (False, "date outside window")


@pytest.mark.parametrize("offset", [timedelta(minutes=59), -timedelta(minutes=59)])
def test_date_inside_window(rsa_key: rsa.RSAPrivateKey, offset: timedelta) -> None:
    assert verify_request(_signed_post(rsa_key), rsa_key.public_key(), now=NOW + offset).ok


def test_window_is_a_parameter(rsa_key: rsa.RSAPrivateKey) -> None:
    later = NOW + timedelta(minutes=10)
    parts = _signed_post(rsa_key)
    assert not verify_request(parts, rsa_key.public_key(), now=later, max_skew=timedelta(minutes=5)).ok
    assert verify_request(parts, rsa_key.public_key(), now=later, max_skew=timedelta(minutes=15)).ok


def test_replay_to_another_path(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    replay = HttpRequestParts("POST", "https://b.example/inbox", parts.headers, parts.body)
    result = verify_request(replay, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "bad signature")


def test_replay_to_another_host(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    other = "https://c.example/users/bob/inbox"
    replay = HttpRequestParts("POST", other, parts.headers, parts.body)
    result = verify_request(replay, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "host mismatch")
    rehosted = HttpRequestParts("POST", other, {**parts.headers, "host": "c.example"}, parts.body)
    result = verify_request(rehosted, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, "bad signature")


def test_host_with_explicit_default_port_matches(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key, url="https://b.example:443/users/bob/inbox")
    assert parts.headers["host"] == "b.example"
    assert verify_request(parts, rsa_key.public_key(), now=NOW).ok


def test_quoted_commas_escapes_and_unknown_params(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    sig = parts.headers["signature"].replace(f'keyId="{KEY_ID}"', 'keyId="https://a.example/u,x\\"y"')
    parsed = parse_signature_header(f' foo="a, b" , {sig}, bar=baz ,')
    assert parsed.key_id == 'https://a.example/u,x"y'
    assert parsed.headers[0] == "(request-target)"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "malformed signature header"),
        ("garbage", "malformed signature header"),
        ('keyId="a",signature="AAAA"," headers="date"', "malformed signature header"),
        ('keyId="a,signature="AAAA"', "malformed signature header"),
        ('keyId="a",keyId="b",signature="AAAA"', "duplicate signature parameter"),
        ('keyId="a",keyid="b",signature="AAAA"', "duplicate signature parameter"),
        ('keyId="a",signature="AAAA",signature="AAAA"', "duplicate signature parameter"),
        ('signature="AAAA",headers="date"', "malformed signature header"),
        ('keyId="",signature="AAAA"', "malformed signature header"),
        ('keyId="a"', "malformed signature header"),
        ('keyId="a",signature="not base64!"', "signature is not base64"),
        ('keyId="a",signature="' + "A" * 4000 + '"', "signature too large"),
        ('keyId="a",signature="AAAA",headers="date date"', "malformed headers parameter"),
        ('keyId="a",signature="AAAA",headers=""', "malformed headers parameter"),
        ('keyId="a",signature="AAAA",created="soon"', "malformed created"),
        ('keyId="a",signature="AAAA",foo="' + "x" * 9000 + '"', "signature header too large"),
        ("keyId=a\u0000,signature=AAAA", "malformed signature header"),
    ],
)
def test_malformed_signature_headers(rsa_key: rsa.RSAPrivateKey, header: str, reason: str) -> None:
    parts = HttpRequestParts("POST", INBOX, {"signature": header, "host": "b.example"}, ACTIVITY)
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, reason)
    with pytest.raises(SignatureError):
        parse_signature_header(header)


def test_missing_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = HttpRequestParts("POST", INBOX, {"host": "b.example"}, ACTIVITY)
    assert signature_key_id(parts) is None
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.key_id, result.reason) == (False, None, "missing signature")


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("yesterday", "malformed date"),
        ("Sat, 01 Mar 99999 12:00:00 GMT", "malformed date"),
        ("x" * 100, "malformed date"),
    ],
)
def test_malformed_date(rsa_key: rsa.RSAPrivateKey, date: str, reason: str) -> None:
    parts = _hand_signed(rsa_key, "(request-target) host date digest", extra={"date": date})
    result = verify_request(parts, rsa_key.public_key(), now=NOW)
    assert (result.ok, result.reason) == (False, reason)


def test_verify_request_never_raises_on_mangled_input(rsa_key: rsa.RSAPrivateKey) -> None:
    parts = _signed_post(rsa_key)
    rng = random.Random(1234)
    alphabet = 'keyIdsgnatureh=",() \\\x00\u00e9\udcff' + parts.headers["signature"][:40]
    for _ in range(300):
        headers = dict(parts.headers)
        name = rng.choice(["signature", "date", "host", "digest", "signature-input"])
        headers[name] = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        url = rng.choice([INBOX, "https://[::1/x", "not a url", "https://b.example:99999/x"])
        result = verify_request(HttpRequestParts("POST", url, headers, parts.body), rsa_key.public_key(), now=NOW)
        assert not result.ok
        signature_key_id(HttpRequestParts("POST", url, headers, parts.body))


def test_sign_request_refuses_a_key_id_that_cannot_be_quoted(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="Signature header"):
        sign_request("POST", INBOX, {}, b"", key_id='a"b', private_key=rsa_key, now=NOW)
