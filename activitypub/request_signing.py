"""The one entry point the inbox and the delivery code use for HTTP signatures.

Incoming: :func:`signature_key_id` says which key to fetch (RFC 9421 preferred when
``Signature-Input`` is present, else draft-cavage), :func:`verify_request` checks
the request against that key and never raises on hostile input.
Outgoing: :func:`sign_request` returns the complete header dict to send.
"""

from __future__ import annotations

import base64
import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activitypub.digests import make_digest
from activitypub.keys import PrivateKey, PublicKey
from activitypub.message_signatures import rfc9421_key_id, sign_rfc9421, verify_rfc9421
from activitypub.signatures import (
    HttpRequestParts,
    Scheme,
    VerifyResult,
    as_utc,
    cavage_key_id,
    expects_body_digest,
    general_cavage,
    signing_string,
    simple_cavage,
    url_authority,
)

__all__ = [
    "HttpRequestParts",
    "PendingSignature",
    "Scheme",
    "VerifyResult",
    "prepare_cavage_request",
    "raw_sign",
    "sign_cavage",
    "sign_request",
    "signature_key_id",
    "verify_request",
]

DEFAULT_MAX_SKEW = timedelta(hours=1)
_CAVAGE_OWN = ("digest", "signature", "authorization")
_RFC9421_OWN = ("signature", "signature-input", "content-digest")


def signature_key_id(parts: HttpRequestParts) -> tuple[str, Scheme] | None:
    """The key id to look up and the scheme it was found in; None when unsigned/unreadable."""
    try:
        if "signature-input" in parts.headers:
            key_id = rfc9421_key_id(parts.headers)
            return None if key_id is None else (key_id, "rfc9421")
        key_id = cavage_key_id(parts.headers)
        return None if key_id is None else (key_id, "cavage")
    except Exception:  # hostile input must never reach the caller as an exception
        return None


def verify_request(
    parts: HttpRequestParts,
    public_key: PublicKey,
    *,
    now: datetime,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> VerifyResult:
    """Verify an incoming request's signature with the sender's (already loaded) key."""
    rfc9421 = "signature-input" in parts.headers
    try:
        if not rfc9421:  # the direct path for the usual draft-cavage shape first
            simple = simple_cavage(parts, public_key, now, max_skew)
            if simple is not None:
                return simple
        if rfc9421:
            return verify_rfc9421(parts, public_key, now=now, max_skew=max_skew)
        return general_cavage(parts, public_key, now=now, max_skew=max_skew)
    except Exception:  # never raise on hostile input; the reason stays generic
        return VerifyResult(False, None, "rfc9421" if rfc9421 else "cavage", "malformed request")


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    scheme: Scheme = "cavage",
) -> dict[str, str]:
    """The complete header dict to send.

    `headers` plus Host, Date and, for cavage, Digest + Signature, for RFC 9421,
    Content-Digest + Signature-Input + Signature (label ``sig1``). A body method
    (POST/PUT/PATCH) always gets a digest, of no bytes when `body` is None.
    """
    if scheme == "rfc9421":
        out = _with_host_and_date(url, headers, now, _RFC9421_OWN)
        return sign_rfc9421(method, url, out, body, key_id=key_id, private_key=private_key, now=now)
    pending = prepare_cavage_request(method, url, headers, body, key_id=key_id, private_key=private_key, now=now)
    return pending.complete(raw_sign(private_key, pending.data))


def _with_host_and_date(url: str, headers: Mapping[str, str], now: datetime, own: tuple[str, ...]) -> dict[str, str]:
    skip = {"host", "date", *own}
    out = {name: value for name, value in headers.items() if name.lower() not in skip}
    out["Host"] = url_authority(url)
    out["Date"] = email.utils.format_datetime(as_utc(now), usegmt=True)
    return out


_PKCS1V15, _SHA256 = padding.PKCS1v15(), hashes.SHA256()


def raw_sign(key: PrivateKey, data: bytes) -> bytes:
    """The bare signature of `data`: RSASSA-PKCS1-v1_5 with SHA-256, or Ed25519."""
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, _PKCS1V15, _SHA256)
    return key.sign(data)


def _quoted(value: str) -> str:
    if any(c in value for c in '"\\') or not value.isprintable():
        raise ValueError("value cannot be sent in a Signature header")
    return f'"{value}"'


@dataclass(frozen=True)
class PendingSignature:
    """A draft-cavage request ready for its signature: the key signs `data`, and
    :meth:`complete` gives the headers to send. Splitting the two lets the costly
    public-key operation run elsewhere (a signing thread) while everything that needs
    the interpreter stays with the caller."""

    data: bytes
    headers: dict[str, str]
    signature_prefix: str  # the Signature header up to the signature value

    def complete(self, signature: bytes) -> dict[str, str]:
        out = dict(self.headers)
        out["Signature"] = f'{self.signature_prefix}"{base64.b64encode(signature).decode("ascii")}"'
        return out


def prepare_cavage_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
) -> PendingSignature:
    """:func:`sign_request` for draft-cavage up to the signature itself."""
    out = _with_host_and_date(url, headers, now, _CAVAGE_OWN)
    return prepare_cavage(method, url, out, body, key_id=key_id, private_key=private_key)


def prepare_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
) -> PendingSignature:
    """:func:`sign_cavage` up to the signature itself."""
    out = dict(headers)
    names = ["(request-target)", "host", "date"]
    with_body = body is not None or expects_body_digest(method, body)
    if with_body:
        out["Digest"] = make_digest(body or b"")
        names.append("digest")
    lower = {name.lower(): value for name, value in out.items()}
    extra = "content-type" if with_body else "accept"
    if extra in lower:
        names.append(extra)
    text = signing_string(method, url, lower, names)
    algorithm = "rsa-sha256" if isinstance(private_key, rsa.RSAPrivateKey) else "hs2019"
    prefix = f'keyId={_quoted(key_id)},algorithm="{algorithm}",headers="{" ".join(names)}",signature='
    return PendingSignature(text.encode("utf-8"), out, prefix)


def sign_cavage(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
) -> dict[str, str]:
    """`headers` (which must hold Host and Date) plus Digest (body methods) and Signature.

    Signs ``(request-target) host date digest content-type`` for body methods and
    ``(request-target) host date [accept]`` otherwise; ``rsa-sha256`` for RSA keys,
    ``hs2019`` for Ed25519 keys.
    """
    pending = prepare_cavage(method, url, headers, body, key_id=key_id, private_key=private_key)
    return pending.complete(raw_sign(private_key, pending.data))
