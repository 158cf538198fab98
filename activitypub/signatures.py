"""draft-cavage-http-signatures-12 signatures, on `cryptography` only (pure; no I/O).

The verification algorithm is decided by the type of the key we looked up,
never by the ``algorithm=`` parameter of the header: an RSA key verifies
RSASSA-PKCS1-v1_5 with SHA-256, an Ed25519 key verifies Ed25519. The header's
``algorithm`` may only confirm that choice (``rsa-sha256``/``hs2019`` for RSA,
``hs2019``/``ed25519`` for Ed25519); anything else (``hmac-sha256``...) is refused.

The shared request/result types of the inbox entry point live here too;
:mod:`activitypub.request_signing` dispatches between this module and
:mod:`activitypub.message_signatures` (RFC 9421).
"""

from __future__ import annotations

import binascii
import email.utils
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple, cast
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from activitypub.digests import check_content_digest, check_digest
from activitypub.keys import PublicKey

Scheme = Literal["cavage", "rfc9421"]

MAX_SIGNATURE_HEADER = 8192
MAX_SIGNATURE_B64 = 2048
MAX_DATE_HEADER = 64
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_KEY_ALGORITHMS = {
    "rsa": frozenset({"rsa-sha256", "hs2019"}),
    "ed25519": frozenset({"hs2019", "ed25519"}),
}
_KIND_BY_TYPE: dict[type, str] = {}
# one `name=value` or `name="quoted, value"` parameter and the comma after it; the
# second form allows backslash escapes in quoted values (slower, used only when needed)
_PARAM = r'[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(?:"({})"|([!#-+\--\[\]-~]*))[ \t]*(?:,|\Z)'
_PARAM_RE = re.compile(_PARAM.format(r'[^"]*'))
_PARAM_ESCAPED_RE = re.compile(_PARAM.format(r'[^"\\]*(?:\\.[^"\\]*)*'))
_UNESCAPE_RE = re.compile(r"\\(.)")
_NAME_RE = re.compile(r"[a-z][a-z0-9_-]*")
_KNOWN_PARAMS = frozenset({"keyid", "algorithm", "headers", "signature", "created", "expires"})
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PKCS1V15, _SHA256 = padding.PKCS1v15(), hashes.SHA256()
_HOST_RE = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
# DER encoding of a SHA-256 DigestInfo before the hash itself (RFC 8017 section 9.2, note 1)
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True)
class HttpRequestParts:
    method: str  # "POST"
    url: str  # full URL as this server sees it; path+query give (request-target)
    headers: Mapping[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    key_id: str | None
    scheme: Scheme | None
    reason: str  # short and safe to log


class SignatureError(ValueError):
    """A signature was refused; ``reason`` is short and safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CavageSignature(NamedTuple):
    """A parsed ``Signature`` header (draft-cavage-12 section 2.1)."""

    key_id: str
    algorithm: str | None
    headers: tuple[str, ...]
    signature: bytes
    created: str | None
    expires: str | None


# --- shared helpers (also used by message_signatures and request_signing) ----------


def as_utc(now: datetime) -> datetime:
    """`now` in UTC; a naive datetime is taken to be UTC already."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def url_authority(url: str) -> str:
    """Lower-case host[:port] of an absolute URL, without a default port."""
    split = urlsplit(url)
    host = (split.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = split.port
    if port is None or _DEFAULT_PORTS.get(split.scheme.lower()) == port:
        return host
    return f"{host}:{port}"


@lru_cache(maxsize=1024)
def request_target(url: str) -> str:
    split = urlsplit(url)
    return (split.path or "/") + (f"?{split.query}" if split.query else "")


def expects_body_digest(method: str, body: bytes | None) -> bool:
    return bool(body) or method.upper() in _BODY_METHODS


# --- parsing ---------------------------------------------------------------------


def _signature_header(headers: Mapping[str, str]) -> str:
    value = headers.get("signature")
    if value is None:
        auth = headers.get("authorization", "")
        if auth[:10].lower() != "signature ":
            raise SignatureError("missing signature")
        value = auth[10:]
    if len(value) > MAX_SIGNATURE_HEADER:
        raise SignatureError("signature header too large")
    return value


def _simple_params(value: str) -> dict[str, str] | None:
    """The usual header shape, ``name="value",name="value"`` with no escapes, parsed with
    str methods; None when the header has any other shape (the general parser decides)."""
    if value[-1:] != '"' or "\\" in value:
        return None
    params: dict[str, str] = {}
    for piece in value[:-1].split('",'):
        name, sep, quoted = piece.partition('="')
        if not sep or '"' in quoted:
            return None
        name = name.strip(" \t").lower()
        if name in params or (name not in _KNOWN_PARAMS and _NAME_RE.fullmatch(name) is None):
            return None
        params[name] = quoted
    return params


def parse_params(value: str) -> dict[str, str]:
    """Parameters of a Signature header, names lower-cased; duplicates refused."""
    simple = _simple_params(value)
    if simple is not None:
        return simple
    params: dict[str, str] = {}
    pos, end = 0, len(value.rstrip())
    pattern = _PARAM_ESCAPED_RE if "\\" in value else _PARAM_RE
    while pos < end:
        match = pattern.match(value, pos)
        if match is None or match.end() == pos:
            raise SignatureError("malformed signature header")
        name, quoted, token = match.groups()
        name = name.lower()
        if name in params:
            raise SignatureError("duplicate signature parameter")
        if quoted is None:
            params[name] = token
        else:
            params[name] = _UNESCAPE_RE.sub(r"\1", quoted) if "\\" in quoted else quoted
        pos = match.end()
    return params


def _timestamp(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is not None and _TIMESTAMP_RE.fullmatch(value) is None:
        raise SignatureError(f"malformed {name}")
    return value


@lru_cache(maxsize=256)
def parse_signature_header(value: str) -> CavageSignature:
    """A parsed Signature header; cached, as one request's header is read several times
    (its key id for the rate limit and the key lookup, then the verification)."""
    if len(value) > MAX_SIGNATURE_HEADER:
        raise SignatureError("signature header too large")
    params = parse_params(value)
    key_id, signature = params.get("keyid"), params.get("signature")
    if not key_id or signature is None or not key_id.isprintable():
        raise SignatureError("malformed signature header")
    if len(signature) > MAX_SIGNATURE_B64:
        raise SignatureError("signature too large")
    try:
        raw = binascii.a2b_base64(signature, strict_mode=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is not base64") from None
    names = tuple(params.get("headers", "date").lower().split())
    if not names or len(set(names)) != len(names):
        raise SignatureError("malformed headers parameter")
    algorithm = params.get("algorithm")
    return CavageSignature(
        key_id=key_id,
        algorithm=None if algorithm is None else algorithm.lower(),
        headers=names,
        signature=raw,
        created=_timestamp(params, "created"),
        expires=_timestamp(params, "expires"),
    )


# --- signing string ----------------------------------------------------------------


def signing_string(
    method: str,
    url: str,
    headers: Mapping[str, str],
    names: Sequence[str],
    *,
    created: str | None = None,
    expires: str | None = None,
) -> str:
    """The draft-cavage-12 section 2.3 signing string. `headers` has lower-case names."""
    lines = []
    for name in names:
        if name == "(request-target)":
            value: str | None = f"{method.lower()} {request_target(url)}"
        elif name == "(created)":
            value = created
        elif name == "(expires)":
            value = expires
        else:
            value = headers.get(name)
            value = None if value is None else value.strip()
        if value is None:
            raise SignatureError("signed header missing")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


# --- verification ------------------------------------------------------------------


def key_kind(key: object) -> str:
    """ "rsa" or "ed25519", cached per concrete class (ABC isinstance checks are slow)."""
    kind = _KIND_BY_TYPE.get(type(key))
    if kind is None:
        if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
            kind = "rsa"
        elif isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
            kind = "ed25519"
        else:
            raise SignatureError("unsupported key type")
        _KIND_BY_TYPE[type(key)] = kind
    return kind


def _check_algorithm(algorithm: str | None, key: PublicKey) -> None:
    if algorithm is not None and algorithm not in _KEY_ALGORITHMS[key_kind(key)]:
        raise SignatureError("algorithm does not match key")


def _check_coverage(sig: CavageSignature, parts: HttpRequestParts) -> None:
    names = sig.headers
    for required in ("(request-target)", "host"):
        if required not in names:
            raise SignatureError(f"{required} not signed")
    if "(created)" in names or "(expires)" in names:
        if sig.algorithm not in (None, "hs2019", "ed25519"):
            raise SignatureError("(created) not allowed with this algorithm")
    if "date" not in names and "(created)" not in names:
        raise SignatureError("date not signed")
    if expects_body_digest(parts.method, parts.body):
        if "digest" not in names and "content-digest" not in names:
            raise SignatureError("digest not signed")


def _check_freshness(sig: CavageSignature, parts: HttpRequestParts, now: datetime, max_skew: timedelta) -> None:
    if "date" in sig.headers:
        if abs(now - _parse_date(parts.headers.get("date", ""))) > max_skew:
            raise SignatureError("date outside window")
    if "(created)" in sig.headers:
        if sig.created is None:
            raise SignatureError("missing created")
        if abs(now - from_timestamp(sig.created)) > max_skew:
            raise SignatureError("created outside window")
    if sig.expires is not None and from_timestamp(sig.expires) < now:
        raise SignatureError("signature expired")


def from_timestamp(value: str | int) -> datetime:
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError("malformed timestamp") from None


@lru_cache(maxsize=1024)
def _parse_date(value: str) -> datetime:
    """Parse an HTTP Date; cached, as concurrent requests share the same few dates."""
    if not value or len(value) > MAX_DATE_HEADER:
        raise SignatureError("malformed date")
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError("malformed date") from None
    return as_utc(parsed)


@lru_cache(maxsize=1024)
def host_matches(host: str, url: str) -> bool:
    """Whether a Host header value names the authority of `url` (default ports ignored)."""
    host = host.strip()
    if _HOST_RE.fullmatch(host) is None:
        return False
    try:
        split = urlsplit(url)
        if host.lower() == split.netloc.lower():
            return True
        return url_authority(f"{split.scheme}://{host}") == url_authority(url)
    except ValueError:
        return False


def _check_host_and_digests(sig: CavageSignature, parts: HttpRequestParts) -> None:
    if not host_matches(parts.headers.get("host", ""), parts.url):
        raise SignatureError("host mismatch")
    checks = (("digest", check_digest), ("content-digest", check_content_digest))
    for name, check in checks:
        if name in sig.headers:
            header = parts.headers.get(name)
            if header is None:
                raise SignatureError("signed header missing")
            result = check(header, parts.body)
            if not result:
                raise SignatureError(result.reason)


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeError:
        raise SignatureError("malformed header value") from None


def verify_bytes(key: PublicKey, signature: bytes, data: bytes) -> None:
    """Verify with the algorithm implied by the key type; SignatureError on failure."""
    if key_kind(key) == "rsa":
        if not rsa_sha256_verifies(cast(rsa.RSAPublicKey, key), signature, data):
            raise SignatureError("bad signature")
        return
    try:
        cast(ed25519.Ed25519PublicKey, key).verify(signature, data)
    except InvalidSignature:
        raise SignatureError("bad signature") from None


def rsa_sha256_verifies(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `data`.

    RFC 8017 section 8.2.2: `cryptography` (OpenSSL) does the public-key operation and
    checks the whole type-1 padding (00 01 FF..FF 00, at least eight FF), and the data
    it recovers must then be exactly the DER DigestInfo of SHA-256(data), as the
    encode-and-compare method of the RFC asks. Same answer as ``key.verify(signature,
    data, PKCS1v15(), SHA256())`` (tests/activitypub/test_rsa_verify.py holds the two in
    agreement), about 2 us faster: OpenSSL then looks up no digest per call."""
    try:
        recovered = key.recover_data_from_signature(signature, _PKCS1V15, None)
    except (InvalidSignature, ValueError):
        return False
    return recovered == _SHA256_DIGEST_INFO + hashlib.sha256(data).digest()


@lru_cache(maxsize=1024)
def _date_or_none(value: str) -> datetime | None:
    """An HTTP Date in UTC; None when it is not a date."""
    try:
        return _parse_date(value)
    except SignatureError:
        return None


def _canonical_params(value: str) -> tuple[str, str, str, str] | None:
    """keyId, algorithm, headers and signature of a Signature header with exactly these
    four quoted parameters in this order and no escapes (what Mastodon, Fedify and we
    send); None for any other header. A backslash (an escape in the general syntax) is
    refused in the keyId here and cannot pass the later checks elsewhere: the algorithm
    must be a known name, the signature strict base64, the header names present."""
    if len(value) > MAX_SIGNATURE_HEADER:
        return None
    # keyId="k",algorithm="a",headers="h",signature="s" splits at its eight quotes into
    # exactly these nine pieces
    pieces = value.split('"')
    if (
        len(pieces) != 9
        or pieces[0] != "keyId="
        or pieces[2] != ",algorithm="
        or pieces[4] != ",headers="
        or pieces[6] != ",signature="
        or pieces[8]
        or not pieces[1]
        or "\\" in pieces[1]
    ):
        return None
    return pieces[1], pieces[3], pieces[5], pieces[7]


def _lines_post_typed(h: Mapping[str, str]) -> str:
    return (
        f"\nhost: {h['host'].strip()}\ndate: {h['date'].strip()}"
        f"\ndigest: {h['digest'].strip()}\ncontent-type: {h['content-type'].strip()}"
    )


def _lines_post(h: Mapping[str, str]) -> str:
    return f"\nhost: {h['host'].strip()}\ndate: {h['date'].strip()}\ndigest: {h['digest'].strip()}"


def _lines_get(h: Mapping[str, str]) -> str:
    return f"\nhost: {h['host'].strip()}\ndate: {h['date'].strip()}"


def _lines_get_accept(h: Mapping[str, str]) -> str:
    return f"\nhost: {h['host'].strip()}\ndate: {h['date'].strip()}\naccept: {h['accept'].strip()}"


# signed-header lists as senders write them -> the names, for those that need no checks
# beyond the date and digest checks below, and the lines of the signing string after
# (request-target), written out (a KeyError when a header is missing); any other list
# goes through _usable_names and the general loop of _simple_signing_string
_COMMON_NAMES: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, str]], str]]] = {
    "(request-target) host date digest content-type": (("host", "date", "digest", "content-type"), _lines_post_typed),
    "(request-target) host date digest": (("host", "date", "digest"), _lines_post),
    "(request-target) host date": (("host", "date"), _lines_get),
    "(request-target) host date accept": (("host", "date", "accept"), _lines_get_accept),
}


def _usable_names(names_text: str) -> tuple[str, ...] | None:
    """The header names after (request-target) of a list the direct path can check
    (each once; host and date covered; no pseudo-header or Content-Digest)."""
    names = names_text.lower().split()
    if (
        names[:1] != ["(request-target)"]
        or "host" not in names
        or "date" not in names
        or "content-digest" in names
        or len(set(names)) != len(names)
        or any(name[:1] == "(" for name in names[1:])
    ):
        return None
    return tuple(names[1:])


def _simple_signing_string(
    parts: HttpRequestParts, names: tuple[str, ...], lines: Callable[[Mapping[str, str]], str] | None
) -> bytes | None:
    """The signing string: (request-target) then `names` (their lines by `lines` when
    given); None when a header is missing or the text does not encode."""
    headers = parts.headers
    text = _target_line(parts.method, parts.url)
    if lines is not None:
        try:
            text += lines(headers)
        except KeyError:
            return None
    else:
        for name in names:
            value = headers.get(name)
            if value is None:
                return None
            text = f"{text}\n{name}: {value.strip()}"
    try:
        return text.encode("utf-8")
    except UnicodeError:
        return None


@lru_cache(maxsize=1024)
def _target_line(method: str, url: str) -> str:
    """The (request-target) line; cached, as requests go to a few inbox URLs."""
    return f"(request-target): {method.lower()} {request_target(url)}"


@lru_cache(maxsize=1024)
def _verified(key_id: str) -> VerifyResult:
    return VerifyResult(True, key_id, "cavage", "ok")


def simple_cavage(
    parts: HttpRequestParts, public_key: PublicKey, now: datetime, max_skew: timedelta
) -> VerifyResult | None:
    """verify_cavage for the request shape nearly every server sends (a Signature header
    of keyId, algorithm, headers and signature; (request-target) first, host and date
    covered; one SHA-256 Digest), checked in one pass without intermediate objects.

    Returns None whenever the request differs from that shape or any check fails short
    of the signature itself: the general path then decides and names the reason. So a
    result from here is always one the general path gives too
    (tests/activitypub/test_signatures_simple.py holds the two in agreement)."""
    headers = parts.headers
    value = headers.get("signature")
    simple = None if value is None else _canonical_params(value)
    if simple is None:
        return None
    key_id, algorithm, names_text, signature_b64 = simple
    common = _COMMON_NAMES.get(names_text)
    names, lines = common if common is not None else (_usable_names(names_text), None)
    # an upper-case algorithm name, a digest named in another case or listing several
    # digests (its text then differs from ours) goes the general way
    if (
        names is None
        or algorithm not in _KEY_ALGORITHMS[kind := _KIND_BY_TYPE.get(type(public_key)) or key_kind(public_key)]
        or len(signature_b64) > MAX_SIGNATURE_B64
        or not key_id.isprintable()
    ):
        return None
    body = parts.body
    if body or "digest" in names or parts.method.upper() in _BODY_METHODS:
        digest = headers.get("digest")
        if digest is None or "digest" not in names or not digest.startswith("SHA-256="):
            return None
        if digest[8:].strip().encode() != binascii.b2a_base64(hashlib.sha256(body).digest(), newline=False):
            return None
    date = _date_or_none(headers.get("date", ""))
    if date is None or abs((now if now.tzinfo is not None else now.replace(tzinfo=UTC)) - date) > max_skew:
        return None
    if not host_matches(headers.get("host", ""), parts.url):
        return None
    text = _simple_signing_string(parts, names, lines)
    if text is None:
        return None
    try:
        signature = binascii.a2b_base64(signature_b64, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    if kind == "rsa":  # rsa_sha256_verifies, written out on this path
        rsa_key: rsa.RSAPublicKey = public_key  # type: ignore[assignment]
        try:
            recovered = rsa_key.recover_data_from_signature(signature, _PKCS1V15, None)
        except (InvalidSignature, ValueError):
            recovered = b""
        if recovered != _SHA256_DIGEST_INFO + hashlib.sha256(text).digest():
            return VerifyResult(False, key_id, "cavage", "bad signature")
        return _verified(key_id)
    try:
        ed_key: ed25519.Ed25519PublicKey = public_key  # type: ignore[assignment]
        ed_key.verify(signature, text)
    except InvalidSignature:
        return VerifyResult(False, key_id, "cavage", "bad signature")
    return _verified(key_id)


def verify_cavage(
    parts: HttpRequestParts, public_key: PublicKey, *, now: datetime, max_skew: timedelta
) -> VerifyResult:
    """Verify a draft-cavage signature (Signature or Authorization: Signature header)."""
    simple = simple_cavage(parts, public_key, now, max_skew)
    if simple is not None:
        return simple
    return general_cavage(parts, public_key, now=now, max_skew=max_skew)


def general_cavage(
    parts: HttpRequestParts, public_key: PublicKey, *, now: datetime, max_skew: timedelta
) -> VerifyResult:
    """verify_cavage for any request shape, each check naming its reason."""
    try:
        sig = parse_signature_header(_signature_header(parts.headers))
    except SignatureError as exc:
        return VerifyResult(False, None, "cavage", exc.reason)
    try:
        _check_algorithm(sig.algorithm, public_key)
        _check_coverage(sig, parts)
        _check_freshness(sig, parts, as_utc(now), max_skew)
        _check_host_and_digests(sig, parts)
        text = signing_string(
            parts.method,
            parts.url,
            parts.headers,
            sig.headers,
            created=sig.created,
            expires=sig.expires,
        )
        verify_bytes(public_key, sig.signature, _encode(text))
    except SignatureError as exc:
        return VerifyResult(False, sig.key_id, "cavage", exc.reason)
    return VerifyResult(True, sig.key_id, "cavage", "ok")


def cavage_key_id(headers: Mapping[str, str]) -> str | None:
    try:
        return parse_signature_header(_signature_header(headers)).key_id
    except SignatureError:
        return None
