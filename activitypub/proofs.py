"""FEP-8b32 Object Integrity Proofs with the `eddsa-jcs-2022` cryptosuite (pure; no I/O).

Implements the W3C vc-di-eddsa `eddsa-jcs-2022` algorithms on plain JSON:

* transformation: the document without its `proof` member, canonicalised with JCS
  (RFC 8785) and hashed with SHA-256;
* proof configuration: the proof options without `proofValue`; when signing, the
  proof receives the document's `@context` (the suite's own `@context` rule);
* hashing: SHA-256(canonical proof configuration) || SHA-256(canonical document);
* the Ed25519 signature over those 64 bytes is the `proofValue`, multibase base58btc.

When verifying a proof that carries `@context`, the document's `@context` must start
with the same values in the same order, and that list replaces the document's
`@context` before hashing (as the suite specifies). A `proof` may be a list (a proof
set): each proof of this suite is checked against the document without any proof,
and one valid proof under the given key is enough.

This module never resolves keys: `proof_verification_method` gives the caller the
`verificationMethod` to look up (FEP-521a: the actor's `assertionMethod` Multikey,
whose controller the caller must match against the activity's actor).

Linked Data Signatures (`RsaSignature2017`, the `signature` member that Mastodon
and Fedify attach) are tolerated, not verified: `is_ld_signature` detects them and
`strip_ld_signature` removes them. `verify_object` first checks the document as
received; only if that fails and an LD signature is present does it check again
without it, because Fedify adds the LD signature after the integrity proof.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from activitypub.keys import b58decode, b58encode

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
LD_SIGNATURE_TYPE = "RsaSignature2017"
_MAX_PROOFS = 8  # proofs of this suite checked per document; bounds work on hostile input

# XML Schema 1.1 dateTime (any fraction length, optional timezone), as `created` requires
_XSD_DATETIME = re.compile(
    r"-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?"
    r"(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?"
)


class ProofError(ValueError):
    """A proof could not be created from the given document or options."""


@dataclass(frozen=True, slots=True)
class ProofResult:
    """Outcome of `verify_object`; `reason` says why when `ok` is false."""

    ok: bool
    verification_method: str | None
    reason: str


def sign_object(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: datetime,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a copy of `document` with an `eddsa-jcs-2022` `proof` added.

    `created` must be timezone-aware; it is written in UTC, without fraction when
    it has no microseconds. Raises `ProofError` when the document already has a
    proof or cannot be canonicalised (e.g. an integer beyond ±2**53).
    """
    if "proof" in document:
        raise ProofError("document already has a proof")
    if created.tzinfo is None:
        raise ProofError("created must be timezone-aware")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _format_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in document:
        proof["@context"] = copy.deepcopy(document["@context"])
    try:
        hash_data = hash_data_for(document, proof)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ProofError(f"document cannot be canonicalised: {exc}") from exc
    signed = copy.deepcopy(document)
    proof["proofValue"] = "z" + b58encode(private_key.sign(hash_data))
    signed["proof"] = proof
    return signed


def verify_object(
    document: dict[str, Any],
    public_key: Ed25519PublicKey,
    *,
    proof_purpose: str = "assertionMethod",
) -> ProofResult:
    """Check the document's `eddsa-jcs-2022` proof(s) against `public_key`. Never raises."""
    try:
        result = _verify(document, public_key, proof_purpose)
        if not result.ok and is_ld_signature(document):
            retry = _verify(strip_ld_signature(document), public_key, proof_purpose)
            if retry.ok:
                return retry
        return result
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        return ProofResult(False, None, f"malformed document: {type(exc).__name__}")


def proof_verification_method(document: Any) -> str | None:
    """The `verificationMethod` of the first `eddsa-jcs-2022` proof, or None."""
    for proof in _suite_proofs(document):
        method = proof.get("verificationMethod")
        if isinstance(method, str) and method:
            return method
    return None


def is_ld_signature(document: Any) -> bool:
    """Whether `document` carries an `RsaSignature2017` Linked Data Signature."""
    if not isinstance(document, dict):
        return False
    signature = document.get("signature")
    if not isinstance(signature, dict):
        return False
    kind = signature.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    return LD_SIGNATURE_TYPE in kinds


def strip_ld_signature(document: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of `document` without its LD signature (unchanged if it has none)."""
    if not is_ld_signature(document):
        return document
    return {key: value for key, value in document.items() if key != "signature"}


def hash_data_for(unsecured: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """SHA-256(JCS(proof config)) || SHA-256(JCS(document without `proof`)).

    `proof_config` must already be stripped of `proofValue`. Exposed for the test
    vectors' intermediate values; raises ValueError/TypeError on non-JSON input.
    """
    document = {key: value for key, value in unsecured.items() if key != "proof"}
    doc_hash = hashlib.sha256(canonicalize(document)).digest()
    config_hash = hashlib.sha256(canonicalize(proof_config)).digest()
    return config_hash + doc_hash


def canonicalize(value: Any) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes."""
    data: bytes = rfc8785.dumps(value)
    return data


def _format_datetime(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return utc.strftime(pattern)


def _suite_proofs(document: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(document, dict):
        return
    proofs = document.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and proof.get("cryptosuite") == CRYPTOSUITE:
            yield proof


def _verify(document: Any, public_key: Ed25519PublicKey, purpose: str) -> ProofResult:
    if not isinstance(document, dict):
        return ProofResult(False, None, "document is not a JSON object")
    proofs = document.get("proof")
    if proofs is None:
        return ProofResult(False, None, "document has no proof")
    candidates = list(_suite_proofs(document))[:_MAX_PROOFS]
    if not candidates:
        return ProofResult(False, None, f"no proof with cryptosuite {CRYPTOSUITE}")
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    result = ProofResult(False, None, "no proof")
    for proof in candidates:
        result = _verify_one(unsecured, proof, public_key, purpose)
        if result.ok:
            return result
    return result


def _verify_one(
    unsecured: dict[str, Any], proof: dict[str, Any], public_key: Ed25519PublicKey, purpose: str
) -> ProofResult:
    method = proof.get("verificationMethod")
    method = method if isinstance(method, str) else None

    def fail(reason: str) -> ProofResult:
        return ProofResult(False, method, reason)

    if proof.get("type") != PROOF_TYPE:
        return fail(f"proof type is not {PROOF_TYPE}")
    if method is None:
        return fail("proof has no verificationMethod")
    if proof.get("proofPurpose") != purpose:
        return fail(f"proof purpose is not {purpose}")
    created = proof.get("created")
    if created is not None and not (isinstance(created, str) and _XSD_DATETIME.fullmatch(created)):
        return fail("proof created is not an XML Schema dateTime")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z") or len(value) > 200:
        return fail("proofValue is not multibase base58btc")
    try:
        signature = b58decode(value[1:])
    except ValueError:
        return fail("proofValue is not multibase base58btc")
    if len(signature) != 64:
        return fail("proofValue is not a 64-byte Ed25519 signature")
    options = {key: val for key, val in proof.items() if key != "proofValue"}
    if "@context" in options:
        if not _context_starts_with(unsecured.get("@context"), options["@context"]):
            return fail("document @context does not start with the proof @context")
        unsecured = dict(unsecured, **{"@context": options["@context"]})
    try:
        hash_data = hash_data_for(unsecured, options)
    except (ValueError, TypeError, RecursionError):
        return fail("document cannot be canonicalised")
    try:
        public_key.verify(signature, hash_data)
    except InvalidSignature:
        return fail("signature does not match")
    return ProofResult(True, method, "valid")


def _context_starts_with(document_context: Any, proof_context: Any) -> bool:
    doc = document_context if isinstance(document_context, list) else [document_context]
    prefix = proof_context if isinstance(proof_context, list) else [proof_context]
    if document_context is None or len(prefix) > len(doc):
        return False
    return all(a == b for a, b in zip(doc, prefix, strict=False))
