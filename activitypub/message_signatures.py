"""RFC 9421 HTTP Message Signatures (pure; no I/O): the common message shape verified and
our deliveries signed directly, everything else through `http-message-signatures`.

The library builds the signature base and runs the primitive; policy is ours:

* the algorithm follows the key type (RSA -> ``rsa-v1_5-sha256``, Ed25519 ->
  ``ed25519``); an ``alg`` parameter, when present, must agree with it;
* ``created`` is required and must lie within ``max_skew`` of the caller's
  ``now`` (the library's wall-clock checks are switched off); an ``expires`` in
  the past is refused;
* the covered components must include ``@method``, ``@target-uri`` (or
  ``@authority`` and ``@path``) and, for requests that carry a body,
  ``content-digest``, which is checked against the body here.

Only the first signature of a message (in ``Signature-Input`` order) is looked at.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)
from http_sfv.dictionary import Dictionary
from http_sfv.item import InnerList, Item

from activitypub.digests import check_content_digest, make_content_digest
from activitypub.keys import PrivateKey, PublicKey
from activitypub.signatures import (
    HttpRequestParts,
    SignatureError,
    VerifyResult,
    as_utc,
    expects_body_digest,
    from_timestamp,
    verify_bytes,
)

MAX_FIELD = 8192
DEFAULT_COMPONENTS = ("@method", "@target-uri")
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_OWN_HEADERS = frozenset({"signature", "signature-input", "content-digest"})

# The shape nearly every sender uses: one signature, covered components that are plain
# strings, parameters that are integers or plain strings. Such a message is verified here
# directly; any other shape goes through the library (same result, ten times the cost).
_SF_KEY = r"[a-z*][a-z0-9_.*-]*"
_SF_STRING = r'"[ !#-\[\]-~]*"'
_SF_INTEGER = r"(?:0|-?[1-9][0-9]{0,14})"
_SIMPLE_INPUT = re.compile(
    rf"({_SF_KEY})=(\((?:{_SF_STRING}(?: {_SF_STRING})*)?\)((?:;{_SF_KEY}=(?:{_SF_STRING}|{_SF_INTEGER}))*))"
)
_SIMPLE_PARAM = re.compile(rf';({_SF_KEY})=(?:"([^"]*)"|({_SF_INTEGER}))')
_SIMPLE_SIGNATURE = re.compile(rf"({_SF_KEY})=:([A-Za-z0-9+/]*={{0,2}}):")
_QUOTED = re.compile(r'"([^"]*)"')
_SIMPLE_FIELD = re.compile(r"[a-z0-9][a-z0-9-]*")
_PARAM_TYPES = {"created": int, "expires": int, "keyid": str, "alg": str, "nonce": str, "tag": str}
_DERIVED = frozenset({"@method", "@target-uri", "@authority", "@scheme", "@path", "@query", "@request-target"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_SIMPLE_URL = re.compile(r"([a-z][a-z0-9+.-]*)://([a-z0-9.-]+(?::[0-9]{1,5})?)(/[^?#\s]*)(?:\?([^#\s]*))?")


@dataclass
class _Message:
    """The request view the library reads: method, absolute URL, headers."""

    method: str
    url: str
    headers: dict[str, str]


class _Verifier(HTTPMessageVerifier):  # type: ignore[misc]
    """Library verifier with its wall-clock checks disabled (we check `created` ourselves)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


@dataclass(frozen=True)
class SelectedSignature:
    label: str
    key_id: str
    components: frozenset[str]  # covered components that carry no parameters
    params: Mapping[str, Any]
    signature_input: str | None  # this signature alone, re-serialized (None: the only one)
    signature: str | None


def algorithm_for(key: PublicKey | PrivateKey) -> Any:
    """The library algorithm class implied by the key type."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return algorithms.RSA_V1_5_SHA256
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return algorithms.ED25519
    raise SignatureError("unsupported key type")


def _parse_dictionary(value: str | None, name: str) -> Dictionary:
    if value is None:
        raise SignatureError("missing signature")
    if len(value) > MAX_FIELD:
        raise SignatureError(f"{name} header too large")
    parsed = Dictionary()
    try:
        parsed.parse(value.encode("ascii"))
    except (ValueError, UnicodeError):
        raise SignatureError(f"malformed {name} header") from None
    return parsed


def select_signature(headers: Mapping[str, str]) -> SelectedSignature:
    """The first signature of `Signature-Input` with its `Signature`; SignatureError if none."""
    inputs = _parse_dictionary(headers.get("signature-input"), "signature-input")
    signatures = _parse_dictionary(headers.get("signature"), "signature")
    for label, members in inputs.items():
        signature = signatures.get(label)
        if signature is None:
            continue
        if not isinstance(members, InnerList):
            raise SignatureError("malformed signature-input header")
        if not isinstance(signature, Item) or not isinstance(signature.value, bytes):
            raise SignatureError("malformed signature header")
        key_id = members.params.get("keyid")
        if not isinstance(key_id, str) or not key_id:
            raise SignatureError("missing keyid")
        plain = frozenset(item.value for item in members if isinstance(item.value, str) and not item.params)
        params = dict(members.params)
        if len(inputs) == 1 and len(signatures) == 1:
            return SelectedSignature(label, key_id, plain, params, None, None)
        one_input, one_signature = Dictionary(), Dictionary()
        one_input[label], one_signature[label] = members, signature
        return SelectedSignature(label, key_id, plain, params, str(one_input), str(one_signature))
    raise SignatureError("missing signature")


def _check_params(sel: SelectedSignature, algorithm: Any, now: datetime, skew: timedelta) -> None:
    alg = sel.params.get("alg")
    if alg is not None and alg != algorithm.algorithm_id:
        raise SignatureError("algorithm does not match key")
    created = sel.params.get("created")
    if created is None:
        raise SignatureError("missing created")
    if type(created) is not int:
        raise SignatureError("malformed created")
    if abs(now - from_timestamp(created)) > skew:
        raise SignatureError("created outside window")
    expires = sel.params.get("expires")
    if expires is not None and (type(expires) is not int or from_timestamp(expires) < now):
        raise SignatureError("signature expired")


def _check_coverage(sel: SelectedSignature, parts: HttpRequestParts) -> None:
    covered = sel.components
    if "@method" not in covered:
        raise SignatureError("@method not signed")
    if "@target-uri" not in covered and not {"@authority", "@path"} <= covered:
        raise SignatureError("@target-uri not signed")
    if expects_body_digest(parts.method, parts.body) and "content-digest" not in covered:
        raise SignatureError("content-digest not signed")


def _check_digest(sel: SelectedSignature, parts: HttpRequestParts) -> None:
    if "content-digest" not in sel.components:
        return
    header = parts.headers.get("content-digest")
    if header is None:
        raise SignatureError("signed header missing")
    result = check_content_digest(header, parts.body)
    if not result:
        raise SignatureError(result.reason)


def _simple_selection(headers: Mapping[str, str]) -> tuple[SelectedSignature, tuple[str, ...], str, bytes] | None:
    """The selected signature, its covered components in order, the serialized signature
    parameters and the signature bytes, for a message of the simple shape; else None."""
    raw_input, raw_signature = headers.get("signature-input"), headers.get("signature")
    if raw_input is None or raw_signature is None or len(raw_input) > MAX_FIELD or len(raw_signature) > MAX_FIELD:
        return None
    found = _SIMPLE_INPUT.fullmatch(raw_input)
    signed = _SIMPLE_SIGNATURE.fullmatch(raw_signature)
    if found is None or signed is None or found.group(1) != signed.group(1):
        return None
    label, serialized, raw_params = found.groups()
    components = tuple(_QUOTED.findall(serialized[: serialized.index(")")]))
    if len(set(components)) != len(components):
        return None
    for component in components:
        if component not in _DERIVED and _SIMPLE_FIELD.fullmatch(component) is None:
            return None
    params: dict[str, Any] = {}
    for name, text, number in _SIMPLE_PARAM.findall(raw_params):
        value: Any = int(number) if number else text
        if name in params or _PARAM_TYPES.get(name) is not type(value):
            return None
        params[name] = value
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not key_id:
        return None
    try:
        signature = binascii.a2b_base64(signed.group(2), strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    selected = SelectedSignature(label, key_id, frozenset(components), params, None, None)
    return selected, components, serialized, signature


def _simple_base(parts: HttpRequestParts, components: tuple[str, ...], serialized: str) -> bytes | None:
    """The signature base for the simple shape, or None when a value needs the library's
    handling (an unusual URL, field values with surrounding or control characters)."""
    url = _SIMPLE_URL.fullmatch(parts.url)
    if url is None or parts.method != parts.method.upper() or not parts.method.isalpha():
        return None
    scheme, authority, path, query = url.groups()
    port = authority.partition(":")[2]
    if port and (port.lstrip("0") == _DEFAULT_PORTS.get(scheme) or not port.lstrip("0")):
        return None
    suffix = "" if query is None else f"?{query}"
    derived = {
        "@method": parts.method,
        "@target-uri": parts.url,
        "@authority": authority,
        "@scheme": scheme,
        "@path": path,
        "@query": f"?{query or ''}",
        "@request-target": path + suffix,
    }
    lines = []
    for component in components:
        value = derived.get(component)
        if value is None:
            value = parts.headers.get(component)
            if value is None or not value or value != value.strip(" ") or not value.isprintable():
                return None
        lines.append(f'"{component}": {value}')
    lines.append(f'"@signature-params": {serialized}')
    base = "\n".join(lines)
    return base.encode("ascii") if base.isascii() else None


def _simple_verify(
    parts: HttpRequestParts, public_key: PublicKey, *, now: datetime, max_skew: timedelta
) -> VerifyResult | None:
    """verify_rfc9421 for a message of the simple shape; None for any other message."""
    simple = _simple_selection(parts.headers)
    if simple is None:
        return None
    sel, components, serialized, signature = simple
    base = _simple_base(parts, components, serialized)
    if base is None:
        return None
    try:
        _check_params(sel, algorithm_for(public_key), as_utc(now), max_skew)
        _check_coverage(sel, parts)
        _check_digest(sel, parts)
        verify_bytes(public_key, signature, base)
    except SignatureError as exc:
        return VerifyResult(False, sel.key_id, "rfc9421", exc.reason)
    return VerifyResult(True, sel.key_id, "rfc9421", "ok")


def _library_verify(parts: HttpRequestParts, sel: SelectedSignature, key: PublicKey, algorithm: Any) -> None:
    headers = dict(parts.headers)
    if sel.signature_input is not None and sel.signature is not None:
        headers["signature-input"], headers["signature"] = sel.signature_input, sel.signature
    resolver = MappingKeyResolver(public_keys={sel.key_id: key}, private_keys={})
    verifier = _Verifier(signature_algorithm=algorithm, key_resolver=resolver)
    try:
        verifier.verify(_Message(parts.method, parts.url, headers), max_age=None)
    except HTTPMessageSignaturesException as exc:
        if isinstance(exc.__cause__, InvalidSignature):
            raise SignatureError("bad signature") from None
        raise SignatureError("unverifiable signature input") from None


def verify_rfc9421(
    parts: HttpRequestParts,
    public_key: PublicKey,
    *,
    now: datetime,
    max_skew: timedelta,
    algorithm: Any = None,
    enforce_coverage: bool = True,
) -> VerifyResult:
    """Verify the first RFC 9421 signature of a request.

    `algorithm` (a library algorithm class) and `enforce_coverage=False` exist for
    the RFC's own test vectors; the inbox never passes them.
    """
    if algorithm is None and enforce_coverage:
        simple = _simple_verify(parts, public_key, now=now, max_skew=max_skew)
        if simple is not None:
            return simple
    try:
        sel = select_signature(parts.headers)
    except SignatureError as exc:
        return VerifyResult(False, None, "rfc9421", exc.reason)
    try:
        chosen = algorithm if algorithm is not None else algorithm_for(public_key)
        _check_params(sel, chosen, as_utc(now), max_skew)
        if enforce_coverage:
            _check_coverage(sel, parts)
        _check_digest(sel, parts)
        _library_verify(parts, sel, public_key, chosen)
    except SignatureError as exc:
        return VerifyResult(False, sel.key_id, "rfc9421", exc.reason)
    return VerifyResult(True, sel.key_id, "rfc9421", "ok")


def rfc9421_key_id(headers: Mapping[str, str]) -> str | None:
    try:
        return select_signature(headers).key_id
    except SignatureError:
        return None


def sign_rfc9421(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
    components: Sequence[str] = DEFAULT_COMPONENTS,
    label: str = "sig1",
    include_alg: bool = False,
    add_digest: bool = True,
) -> dict[str, str]:
    """`headers` plus Content-Digest (when a body), Signature-Input and Signature.

    `content-digest` is appended to `components` when a digest is sent; requests
    with a body method get one even when `body` is None (digest of no bytes).
    `add_digest=False` signs exactly `components` and leaves any Content-Digest of
    `headers` alone (for reproducing published vectors).
    """
    own = _OWN_HEADERS if add_digest else _OWN_HEADERS - {"content-digest"}
    out = {name: value for name, value in headers.items() if name.lower() not in own}
    if tuple(components) == DEFAULT_COMPONENTS and label == "sig1" and not include_alg and add_digest:
        return _sign_default(method, url, out, body, key_id=key_id, private_key=private_key, now=now)
    if not add_digest:
        body = None
    elif body is None and expects_body_digest(method, body):
        body = b""
    key_ids = MappingKeyResolver(public_keys={}, private_keys={key_id: private_key})
    signer = HTTPMessageSigner(signature_algorithm=algorithm_for(private_key), key_resolver=key_ids)
    message = _Message(method.upper(), url, out)
    signer.sign(
        message,
        key_id=key_id,
        created=as_utc(now),
        label=label,
        include_alg=include_alg,
        covered_component_ids=tuple(components),
        body=body,
        use_existing_digest=not add_digest and any(n.lower() == "content-digest" for n in out),
    )
    return message.headers


def _sign_default(
    method: str,
    url: str,
    out: dict[str, str],
    body: bytes | None,
    *,
    key_id: str,
    private_key: PrivateKey,
    now: datetime,
) -> dict[str, str]:
    """The signature our deliveries use, built directly (the general library path costs
    about ten times the Ed25519 signature itself): `@method`, `@target-uri` and, with a
    body, `content-digest`; `created` and `keyid`. Verified by the library in the tests."""
    if '"' in key_id or "\\" in key_id or not key_id.isprintable():
        raise ValueError("key id cannot be sent in Signature-Input")
    components = ['"@method"', '"@target-uri"']
    lines = [f'"@method": {method.upper()}', f'"@target-uri": {url}']
    if body is not None or expects_body_digest(method, body):
        digest = make_content_digest(body or b"")
        out["Content-Digest"] = digest
        components.append('"content-digest"')
        lines.append(f'"content-digest": {digest}')
    params = f'({" ".join(components)});created={int(as_utc(now).timestamp())};keyid="{key_id}"'
    lines.append(f'"@signature-params": {params}')
    base = "\n".join(lines).encode()
    if isinstance(private_key, rsa.RSAPrivateKey):
        signature = private_key.sign(base, _PKCS1V15, _SHA256)
    else:
        signature = private_key.sign(base)
    out["Signature-Input"] = f"sig1={params}"
    out["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    return out
