"""Body digests for signed HTTP requests (pure; no I/O).

Two header formats are in use on the fediverse:

* ``Digest: SHA-256=<base64>`` (RFC 3230 instance digests), the one
  draft-cavage-http-signatures senders sign;
* ``Content-Digest: sha-256=:<base64>:`` (RFC 9530, a Structured Field
  Dictionary of Byte Sequences), the one RFC 9421 senders sign.

``make_*`` build a header value; ``check_*`` compare a received header value
with the body and return a :class:`DigestCheck` (truthy when it matches).
Every supported algorithm named in the header must match; algorithms we do not
know are ignored, but at least one known algorithm has to be present.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from http_sfv.dictionary import Dictionary

MAX_DIGEST_HEADER = 4096

_Hasher = Callable[[bytes], "hashlib._Hash"]
# RFC 3230 algorithm names (case-insensitive) -> hash function
_LEGACY: dict[str, _Hasher] = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
# RFC 9530 algorithm keys (lower-case Structured Field keys) -> hash function
_MODERN: dict[str, _Hasher] = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


@dataclass(frozen=True)
class DigestCheck:
    """Outcome of a digest check; ``reason`` is short and safe to log."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


_OK = DigestCheck(True, "ok")
_MISMATCH = DigestCheck(False, "digest mismatch")


def make_digest(body: bytes) -> str:
    """``Digest`` header value (draft-cavage era): ``SHA-256=<base64>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def make_content_digest(body: bytes, algorithm: Literal["sha-256", "sha-512"] = "sha-256") -> str:
    """RFC 9530 ``Content-Digest`` header value, e.g. ``sha-256=:<base64>:``."""
    digest = _MODERN[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def _compare(found: dict[str, bytes], table: dict[str, _Hasher], body: bytes) -> DigestCheck:
    if not found:
        return DigestCheck(False, "no supported digest algorithm")
    for name, expected in found.items():
        if not hmac.compare_digest(expected, table[name](body).digest()):
            return _MISMATCH
    return _OK


def check_digest(header: str, body: bytes) -> DigestCheck:
    """Check an RFC 3230 ``Digest`` header value (``SHA-256=...[, SHA-512=...]``)."""
    if len(header) > MAX_DIGEST_HEADER:
        return DigestCheck(False, "digest header too large")
    if header[:8].upper() == "SHA-256=" and "," not in header:  # the usual form: fast path
        expected = binascii.b2a_base64(hashlib.sha256(body).digest(), newline=False)
        if header[8:].strip() == expected.decode("ascii"):
            return _OK
    found: dict[str, bytes] = {}
    for member in header.split(","):
        name, sep, value = member.strip().partition("=")
        if not sep:
            return DigestCheck(False, "malformed digest header")
        hasher = _LEGACY.get(name.strip().lower())
        if hasher is None:
            continue
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return DigestCheck(False, "malformed digest header")
        if len(raw) != hasher(b"").digest_size:
            return DigestCheck(False, "malformed digest header")
        found[name.strip().lower()] = raw
    return _compare(found, _LEGACY, body)


def parse_content_digest(header: str) -> dict[str, bytes] | None:
    """Known members of an RFC 9530 ``Content-Digest`` value; None when malformed."""
    if len(header) > MAX_DIGEST_HEADER:
        return None
    parsed = Dictionary()
    try:
        parsed.parse(header.encode("ascii"))
    except (ValueError, UnicodeError):
        return None
    found: dict[str, bytes] = {}
    for name, member in parsed.items():
        hasher = _MODERN.get(name)
        if hasher is None:
            continue
        value = getattr(member, "value", None)
        if not isinstance(value, bytes) or len(value) != hasher(b"").digest_size:
            return None
        found[name] = value
    return found


def check_content_digest(header: str, body: bytes) -> DigestCheck:
    """Check an RFC 9530 ``Content-Digest`` value (sha-256 and sha-512 understood)."""
    if header[:9] == "sha-256=:" and header[-1:] == ":" and len(header) == 54:  # the usual form
        expected = binascii.b2a_base64(hashlib.sha256(body).digest(), newline=False)
        if header[9:53] == expected.decode("ascii"):
            return _OK
    found = parse_content_digest(header)
    if found is None:
        return DigestCheck(False, "malformed content-digest header")
    return _compare(found, _MODERN, body)
