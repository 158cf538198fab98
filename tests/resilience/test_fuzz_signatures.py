"""Property-based tests of the HTTP signature verifier (draft-cavage and RFC 9421): a
correctly signed request verifies, and every mutation of what the signature covers (body,
signature bytes, method, target, host, date or `created`, a dropped header, another key,
a time outside the window) is refused; random and mutated `Signature`,
`Signature-Input`, `Date` and digest headers never verify and never raise.

The verifiers are called directly (`verify_cavage`, `verify_rfc9421`, and the key-id
readers), not only through `verify_request`, whose last-resort `except Exception` would
hide an undocumented exception: their contract is a `VerifyResult`, with `SignatureError`
caught inside.
"""

from __future__ import annotations

import base64
import email.utils
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from activitypub import keys
from activitypub.message_signatures import rfc9421_key_id, select_signature, verify_rfc9421
from activitypub.request_signing import HttpRequestParts, Scheme, VerifyResult, sign_request, verify_request
from activitypub.signatures import SignatureError, cavage_key_id, parse_signature_header, verify_cavage
from tests.resilience.fuzzing import BOUNDED

RSA = keys.generate_rsa_key()
ED25519 = keys.generate_ed25519_key()
OTHER_ED25519 = keys.generate_ed25519_key()
KEYS = {"rsa": RSA, "ed25519": ED25519}
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
SKEW = timedelta(hours=1)
URL = "https://buurt.test/actors/alice/inbox"
KEY_ID = "https://peer.example/users/bob#main-key"
SCHEMES: list[tuple[Scheme, str]] = [(s, k) for s in ("cavage", "rfc9421") for k in ("rsa", "ed25519")]
HEADER_NAMES = ["signature", "signature-input", "date", "digest", "content-digest", "host", "authorization"]


def signed(scheme: Scheme, kind: str, body: bytes, *, url: str = URL, now: datetime = NOW) -> HttpRequestParts:
    headers = sign_request(
        "POST",
        url,
        {"Content-Type": "application/activity+json"},
        body,
        key_id=KEY_ID,
        private_key=KEYS[kind],
        now=now,
        scheme=scheme,
    )
    return HttpRequestParts("POST", url, {k.lower(): v for k, v in headers.items()}, body)


def verify(parts: HttpRequestParts, key: keys.PublicKey, now: datetime = NOW) -> VerifyResult:
    """Both verifiers as the inbox picks them; an exception other than the documented
    result fails the test. `verify_request` must agree and never need its last resort."""
    if "signature-input" in parts.headers:
        result = verify_rfc9421(parts, key, now=now, max_skew=SKEW)
        found = rfc9421_key_id(parts.headers)
    else:
        result = verify_cavage(parts, key, now=now, max_skew=SKEW)
        found = cavage_key_id(parts.headers)
    outer = verify_request(parts, key, now=now, max_skew=SKEW)
    assert outer.ok == result.ok and outer.reason != "malformed request", (outer, result)
    if result.ok:
        assert found == result.key_id  # the key looked up is the key that verified
    return result


def with_headers(parts: HttpRequestParts, **changes: str | None) -> HttpRequestParts:
    headers = dict(parts.headers)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return replace(parts, headers=headers)


def flip_signature_bit(parts: HttpRequestParts, bit: int) -> HttpRequestParts:
    if "signature-input" in parts.headers:
        label, _, rest = parts.headers["signature"].partition("=:")
        raw = bytearray(base64.b64decode(rest.rstrip(":")))
        raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
        return with_headers(parts, signature=f"{label}=:{base64.b64encode(bytes(raw)).decode()}:")
    params = parse_signature_header(parts.headers["signature"])
    raw = bytearray(params.signature)
    raw[bit // 8 % len(raw)] ^= 1 << (bit % 8)
    old = base64.b64encode(params.signature).decode()
    return with_headers(parts, signature=parts.headers["signature"].replace(old, base64.b64encode(bytes(raw)).decode()))


def shift_created(parts: HttpRequestParts, seconds: int) -> HttpRequestParts:
    value = parts.headers["signature-input"]
    created = select_signature(parts.headers).params["created"]
    return with_headers(parts, signature_input=value.replace(f"created={created}", f"created={created + seconds}"))


def mutations(parts: HttpRequestParts, scheme: Scheme, data: st.DataObject) -> HttpRequestParts | datetime:
    """One change to something the signature covers (or to the verifying time)."""
    own = ["date", "host"] if scheme == "cavage" else ["created"]
    operation = data.draw(st.sampled_from(["body", "signature", "method", "target", "drop", "time", *own]), label="op")
    if operation == "body":
        body = data.draw(st.binary(max_size=64), label="body")
        assume(body != parts.body)
        return replace(parts, body=body)
    if operation == "signature":
        return flip_signature_bit(parts, data.draw(st.integers(0, 4095), label="bit"))
    if operation == "method":
        return replace(parts, method=data.draw(st.sampled_from(["PUT", "PATCH", "GET", "DELETE"])))
    if operation == "target":
        target = data.draw(st.sampled_from([URL + "x", URL + "/", URL + "?a=1", URL.replace("alice", "bob")]))
        return replace(parts, url=target)
    if operation == "drop":
        covered = ["signature", "date", "digest", "host"] if scheme == "cavage" else ["signature", "content-digest"]
        names = [*covered, "signature-input"] if scheme == "rfc9421" else covered
        return with_headers(parts, **{data.draw(st.sampled_from(names), label="dropped"): None})
    if operation == "date":
        moment = NOW + timedelta(seconds=data.draw(st.integers(1, 3000) | st.integers(-3000, -1), label="shift"))
        return with_headers(parts, date=email.utils.format_datetime(moment, usegmt=True))
    if operation == "host":
        return with_headers(parts, host=data.draw(st.sampled_from(["buurt.test:8443", "evil.test", "buurt.tes"])))
    if operation == "created":
        return shift_created(parts, data.draw(st.integers(1, 3000) | st.integers(-3000, -1), label="shift"))
    return NOW + data.draw(st.sampled_from([timedelta(hours=2), -timedelta(hours=2), timedelta(days=400)]))


@BOUNDED
@given(st.sampled_from(SCHEMES), st.binary(max_size=200), st.data())
def test_a_mutated_message_never_verifies(scheme_kind: tuple[Scheme, str], body: bytes, data: st.DataObject) -> None:
    scheme, kind = scheme_kind
    parts = signed(scheme, kind, body)
    key = KEYS[kind].public_key()
    assert verify(parts, key).ok  # the unmutated message verifies
    changed = mutations(parts, scheme, data)
    if isinstance(changed, datetime):
        result = verify(parts, key, changed)
    else:
        result = verify(changed, key)
    assert not result.ok, (changed, result)


@BOUNDED
@given(st.sampled_from(SCHEMES), st.binary(max_size=64))
def test_another_key_never_verifies(scheme_kind: tuple[Scheme, str], body: bytes) -> None:
    scheme, kind = scheme_kind
    parts = signed(scheme, kind, body)
    other = OTHER_ED25519.public_key() if kind == "ed25519" else ED25519.public_key()
    assert not verify(parts, other).ok
    if kind == "ed25519":
        assert not verify(parts, RSA.public_key()).ok


def same_signature(before: HttpRequestParts, after: HttpRequestParts) -> bool:
    """Whether a text mutation left the signature meaning the same thing."""
    try:
        if "signature-input" in after.headers:
            old, new = select_signature(before.headers), select_signature(after.headers)
            return (old.key_id, old.components, dict(old.params)) == (new.key_id, new.components, dict(new.params))
        a = parse_signature_header(before.headers["signature"])
        b = parse_signature_header(after.headers["signature"])
        return (a.signature, a.headers, a.created, a.expires) == (b.signature, b.headers, b.created, b.expires)
    except SignatureError:
        return False


@BOUNDED
@given(st.sampled_from(SCHEMES), st.data())
def test_text_mutations_of_signature_headers_are_refused_or_harmless(
    scheme_kind: tuple[Scheme, str], data: st.DataObject
) -> None:
    scheme, kind = scheme_kind
    parts = signed(scheme, kind, b'{"type": "Like"}')
    name = data.draw(st.sampled_from(["signature", "signature-input"] if scheme == "rfc9421" else ["signature"]))
    text = parts.headers[name]
    at = data.draw(st.integers(0, len(text)), label="at")
    operation = data.draw(st.sampled_from(["truncate", "change", "insert", "repeat"]), label="op")
    junk = data.draw(st.text(min_size=1, max_size=12) | st.sampled_from(['"', ",", ";", "=", ":", "\\", "\x00", " "]))
    if operation == "truncate":
        mutated = text[:at]
    elif operation == "change":
        mutated = text[:at] + junk[0] + text[at + 1 :]
    elif operation == "repeat":
        mutated = text + "," + text[at:]
    else:
        mutated = text[:at] + junk + text[at:]
    assume(mutated != text)
    after = with_headers(parts, **{name: mutated})
    result = verify(after, KEYS[kind].public_key())
    if result.ok:
        assert same_signature(parts, after), (name, mutated)


HEADER_VALUES = st.text(max_size=120) | st.sampled_from(
    [
        'keyId="https://peer.example/users/bob#main-key",algorithm="hs2019",'
        'headers="(request-target) host date",signature="AAAA"',
        'keyId="k",algorithm="hmac-sha256",headers="date",signature="c2lnbmF0dXJl"',
        'sig1=("@method" "@target-uri");created=1748779200;keyid="k"',
        'sig1=("@method");created=99999999999999999999;keyid="k"',
        'sig1=();created=-1;expires=1;keyid=""',
        "sig1=:AAAA:",
        "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
        "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "Sun, 01 Jun 2025 12:00:00 GMT",
        "Sun, 01 Jun 99999 12:00:00 GMT",
        "Mon, 31 Feb 2025 25:61:61 GMT",
    ]
)


@BOUNDED
@given(
    st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES, max_size=6),
    st.binary(max_size=64),
    st.sampled_from(["POST", "GET", "", "DELETE"]),
    st.sampled_from([URL, "https://buurt.test", "https://buurt.test:99999/x", "not a url", "https://[::1/x"]),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
)
def test_random_headers_never_verify_and_never_raise(
    headers: dict[str, str], body: bytes, method: str, url: str, now: datetime
) -> None:
    parts = HttpRequestParts(method, url, headers, body)
    for key in (RSA.public_key(), ED25519.public_key()):
        assert not verify(parts, key, now).ok


def test_the_documented_error_type_is_what_parsers_raise() -> None:
    """The readers used above raise SignatureError, the type the verifiers catch."""
    for value in ("", "keyId=", 'keyId="k",signature="not base64!"', "x" * 9000):
        try:
            parse_signature_header(value)
        except SignatureError:
            continue
        raise AssertionError(value)
    for value in ("", "sig1=(", 'sig1=("@method");keyid=1'):
        try:
            select_signature({"signature-input": value, "signature": "sig1=:AAAA:"})
        except SignatureError:
            continue
        raise AssertionError(value)
