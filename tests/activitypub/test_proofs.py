"""FEP-8b32 object integrity proofs (eddsa-jcs-2022).

Sources:
* W3C vc-di-eddsa test vectors, eddsa-jcs-2022 (../shared/interop/vectors/vc-di-eddsa/)
* FEP-8b32 feature file (../shared/interop/vectors/fep/fep-8b32.feature)
* FEP-521a feature file (../shared/interop/vectors/fep/fep-521a.feature)
* real payloads captured by the Lemmy project (../shared/interop/payloads/)
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activitypub import proofs
from activitypub.keys import (
    b58encode,
    ed25519_private_from_multibase,
    ed25519_public_from_multibase,
    ed25519_public_to_multibase,
    generate_ed25519_key,
)

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
VECTORS = INTEROP / "vectors"
EDDSA = VECTORS / "vc-di-eddsa"
JCS = EDDSA / "eddsa-jcs-2022"
FEP = VECTORS / "fep"
VECTOR_CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)
DID_KEY = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"interop vectors absent: {path} (../shared/interop is not checked out)")
    return path


def _json(path: Path) -> Any:
    return json.loads(_need(path).read_text("utf-8"))


def _text(path: Path) -> str:
    return _need(path).read_text("utf-8").strip()


# --- W3C vc-di-eddsa, eddsa-jcs-2022 intermediate values -----------------------------


@pytest.fixture
def key_pair() -> dict[str, str]:
    data: dict[str, str] = _json(EDDSA / "keyPair.json")
    return data


@pytest.fixture
def unsigned() -> dict[str, Any]:
    data: dict[str, Any] = _json(EDDSA / "unsigned.json")
    return data


def test_vc_di_eddsa_canonical_document_and_hash(unsigned: dict[str, Any]) -> None:
    # vc-di-eddsa canonDocJCS.txt, docHashJCS.txt
    canonical = proofs.canonicalize(unsigned)
    assert canonical.decode("utf-8") == _text(JCS / "canonDocJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text(JCS / "docHashJCS.txt")


def test_vc_di_eddsa_proof_config_canonical_and_hash() -> None:
    # vc-di-eddsa proofConfigJCS.json, proofCanonJCS.txt, proofHashJCS.txt
    config = _json(JCS / "proofConfigJCS.json")
    canonical = proofs.canonicalize(config)
    assert canonical.decode("utf-8") == _text(JCS / "proofCanonJCS.txt")
    assert hashlib.sha256(canonical).hexdigest() == _text(JCS / "proofHashJCS.txt")


def test_vc_di_eddsa_combined_hash(unsigned: dict[str, Any]) -> None:
    # vc-di-eddsa combinedHashJCS.txt: proof config hash || document hash
    config = _json(JCS / "proofConfigJCS.json")
    assert proofs.hash_data_for(unsigned, config).hex() == _text(JCS / "combinedHashJCS.txt")


def test_vc_di_eddsa_resign_reproduces_every_value(key_pair: dict[str, str], unsigned: dict[str, Any]) -> None:
    # vc-di-eddsa proofConfigJCS.json, sigHexJCS.txt, sigBTC58JCS.txt, signedJCS.json
    private = ed25519_private_from_multibase(key_pair["privateKeyMultibase"])
    signed = proofs.sign_object(unsigned, private, verification_method=DID_KEY, created=VECTOR_CREATED)
    proof = signed["proof"]
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    assert config == _json(JCS / "proofConfigJCS.json")
    assert proof["proofValue"] == _text(JCS / "sigBTC58JCS.txt")
    signature = bytes.fromhex(_text(JCS / "sigHexJCS.txt"))
    assert "z" + b58encode(signature) == proof["proofValue"]
    assert private.sign(proofs.hash_data_for(unsigned, config)) == signature
    assert signed == _json(JCS / "signedJCS.json")
    assert "proof" not in unsigned  # the input is not modified


def test_vc_di_eddsa_verify_signed(key_pair: dict[str, str]) -> None:
    # vc-di-eddsa signedJCS.json with keyPair.json publicKeyMultibase
    public = ed25519_public_from_multibase(key_pair["publicKeyMultibase"])
    signed = _json(JCS / "signedJCS.json")
    assert proofs.proof_verification_method(signed) == DID_KEY
    assert proofs.verify_object(signed, public) == proofs.ProofResult(True, DID_KEY, "valid")


# --- FEP-521a -------------------------------------------------------------------------


def test_fep_521a_keypair_multikey_matches(key_pair: dict[str, str]) -> None:
    # vc-di-eddsa keyPair.json: the public multikey derives from the secret multikey
    private = ed25519_private_from_multibase(key_pair["privateKeyMultibase"])
    assert ed25519_public_to_multibase(private.public_key()) == key_pair["publicKeyMultibase"]


def test_fep_521a_ed25519_scenario() -> None:
    # fep-521a.feature, "Representing Ed25519 public key"
    text = _need(FEP / "fep-521a.feature").read_text("utf-8")
    scenario = text.split("Scenario: Representing Ed25519 public key", 1)[1]
    raw_hex = re.search(r'public key as a hex string "([0-9a-f]+)"', scenario)
    actor = re.search(r'actor ID "([^"]+)"', scenario)
    assert raw_hex is not None and actor is not None
    expected = json.loads(_docstrings(scenario)[0])
    public = ed25519_public_from_multibase(expected["publicKeyMultibase"])
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(raw_hex.group(1)))
    assert ed25519_public_to_multibase(key) == expected["publicKeyMultibase"]
    assert public == key
    assert expected["id"] == actor.group(1) + "#ed25519-key"
    assert expected["controller"] == actor.group(1)


# --- FEP-8b32 feature scenarios -------------------------------------------------------


def _docstrings(text: str) -> list[str]:
    return re.findall(r'"""\n(.*?)\n\s*"""', text, re.S)


def _scenarios() -> dict[str, str]:
    text = _need(FEP / "fep-8b32.feature").read_text("utf-8")
    parts = re.split(r"\n\s*Scenario: ", text)[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def test_fep_8b32_signing_document() -> None:
    # fep-8b32.feature, "Signing document"
    scenario = _scenarios()["Signing document"]
    document_text, expected_text = _docstrings(scenario)
    secret = re.search(r'Ed25519 secret key "([^"]+)"', scenario)
    now = re.search(r'current time "([^"]+)"', scenario)
    key_id = re.search(r'Signing the document for key "([^"]+)"', scenario)
    assert secret and now and key_id
    signed = proofs.sign_object(
        json.loads(document_text),
        ed25519_private_from_multibase(secret.group(1)),
        verification_method=key_id.group(1),
        created=datetime.fromisoformat(now.group(1).replace("Z", "+00:00")),
    )
    assert signed == json.loads(expected_text)


def _verify_scenario() -> tuple[dict[str, Any], dict[str, Any]]:
    scenario = _scenarios()["Verifying a signature"]
    assert "the document is valid" in scenario
    document_text, actor_text = _docstrings(scenario)
    return json.loads(document_text), json.loads(actor_text)


def _actor_key(actor: dict[str, Any], method: str) -> Any:
    # the caller's part: verificationMethod -> the actor's assertionMethod Multikey
    for entry in actor["assertionMethod"]:
        if entry["id"] == method and entry["controller"] == actor["id"]:
            return ed25519_public_from_multibase(entry["publicKeyMultibase"])
    raise LookupError(method)


def test_fep_8b32_verifying_a_signature() -> None:
    # fep-8b32.feature, "Verifying a signature"
    document, actor = _verify_scenario()
    method = proofs.proof_verification_method(document)
    assert method == "https://server.example/users/alice#ed25519-key"
    result = proofs.verify_object(document, _actor_key(actor, method))
    assert result.ok, result.reason
    assert result.verification_method == method


def _tamper_content(doc: dict[str, Any]) -> None:
    doc["object"]["content"] = "Hello world!"


def _tamper_location(doc: dict[str, Any]) -> None:
    doc["object"]["location"]["latitude"] = 25.273963


def _tamper_add_member(doc: dict[str, Any]) -> None:
    doc["to"] = ["https://www.w3.org/ns/activitystreams#Public"]


def _tamper_context(doc: dict[str, Any]) -> None:
    doc["@context"] = doc["@context"][:1]


def _tamper_proof_created(doc: dict[str, Any]) -> None:
    doc["proof"]["created"] = "2023-02-24T23:36:39Z"


def _tamper_proof_method(doc: dict[str, Any]) -> None:
    doc["proof"]["verificationMethod"] = "https://server.example/users/bob#ed25519-key"


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper_content,
        _tamper_location,
        _tamper_add_member,
        _tamper_context,
        _tamper_proof_created,
        _tamper_proof_method,
    ],
)
def test_fep_8b32_tampered_document_is_invalid(tamper: Any) -> None:
    # fep-8b32.feature "Verifying a signature", negated: any change breaks the proof
    document, actor = _verify_scenario()
    key = _actor_key(actor, "https://server.example/users/alice#ed25519-key")
    tamper(document)
    result = proofs.verify_object(document, key)
    assert not result.ok
    assert result.reason


def test_fep_8b32_wrong_key_is_invalid() -> None:
    # fep-8b32.feature "Verifying a signature" with another key (fep-521a.feature's key)
    document, _ = _verify_scenario()
    other = ed25519_public_from_multibase("z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    result = proofs.verify_object(document, other)
    assert result == proofs.ProofResult(
        False, "https://server.example/users/alice#ed25519-key", "signature does not match"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cryptosuite", "eddsa-rdfc-2022"),
        ("cryptosuite", "ecdsa-jcs-2019"),
        ("type", "Ed25519Signature2020"),
        ("proofPurpose", "authentication"),
    ],
)
def test_fep_8b32_wrong_suite_or_purpose_is_invalid(field: str, value: str) -> None:
    # fep-8b32.feature "Verifying a signature" with the proof's suite, type or purpose changed
    document, actor = _verify_scenario()
    key = _actor_key(actor, "https://server.example/users/alice#ed25519-key")
    document["proof"][field] = value
    assert not proofs.verify_object(document, key).ok


# --- proof @context rule, proof sets, round trips --------------------------------------


def _fep_document() -> dict[str, Any]:
    document, _ = _verify_scenario()
    del document["proof"]
    return document


def test_proof_context_must_prefix_document_context() -> None:
    # vc-di-eddsa "Verify Proof (eddsa-jcs-2022)": document @context starts with proof @context
    key = generate_ed25519_key()
    signed = proofs.sign_object(
        _fep_document(), key, verification_method="https://a.example/u#k", created=VECTOR_CREATED
    )
    # contexts appended after signing are allowed: the proof's list replaces the document's
    extended = copy.deepcopy(signed)
    extended["@context"].append({"toot": "http://joinmastodon.org/ns#"})
    assert proofs.verify_object(extended, key.public_key()).ok
    reordered = copy.deepcopy(signed)
    reordered["@context"].reverse()
    result = proofs.verify_object(reordered, key.public_key())
    assert result.reason == "document @context does not start with the proof @context"
    replaced = dict(signed, **{"@context": "https://www.w3.org/ns/activitystreams"})
    assert not proofs.verify_object(replaced, key.public_key()).ok


def test_proof_without_context_as_mitra_sends() -> None:
    # payloads/mitra/activities/create_post.json: the proof carries no @context
    key = generate_ed25519_key()
    document = _fep_document()
    signed = proofs.sign_object(document, key, verification_method="https://a.example/u#k", created=VECTOR_CREATED)
    del signed["proof"]["@context"]
    config = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    signed["proof"]["proofValue"] = "z" + b58encode(key.sign(proofs.hash_data_for(document, config)))
    assert proofs.verify_object(signed, key.public_key()).ok


def test_created_formatting_and_nanoseconds() -> None:
    # vc-di-eddsa: created is an XML Schema dateTime; Mitra sends nanoseconds
    key = generate_ed25519_key()
    created = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    signed = proofs.sign_object(_fep_document(), key, verification_method="https://a.example/u#k", created=created)
    assert signed["proof"]["created"] == "2024-05-01T12:00:00.123456Z"
    assert proofs.verify_object(signed, key.public_key()).ok
    with pytest.raises(proofs.ProofError):
        proofs.sign_object(_fep_document(), key, verification_method="x", created=datetime(2024, 1, 1))


def test_proof_set_any_valid_proof() -> None:
    # vc-data-integrity proof sets: each proof covers the document without proofs
    alice, bob = generate_ed25519_key(), generate_ed25519_key()
    document = _fep_document()
    a = proofs.sign_object(document, alice, verification_method="a#k", created=VECTOR_CREATED)
    b = proofs.sign_object(document, bob, verification_method="b#k", created=VECTOR_CREATED)
    both = dict(document, proof=[{"type": "Other"}, a["proof"], b["proof"]])
    assert proofs.proof_verification_method(both) == "a#k"
    assert proofs.verify_object(both, bob.public_key()).verification_method == "b#k"
    assert proofs.verify_object(both, alice.public_key()).ok


def test_sign_refuses_already_signed() -> None:
    # FEP-8b32: sign_object adds the one proof; re-signing is a caller error
    key = generate_ed25519_key()
    signed = proofs.sign_object(_fep_document(), key, verification_method="k", created=VECTOR_CREATED)
    with pytest.raises(proofs.ProofError):
        proofs.sign_object(signed, key, verification_method="k", created=VECTOR_CREATED)
    with pytest.raises(proofs.ProofError):
        proofs.sign_object({"n": 2**60}, key, verification_method="k", created=VECTOR_CREATED)


# --- LD signatures (RsaSignature2017) --------------------------------------------------


def test_ld_signature_detected_on_real_payloads() -> None:
    # payloads/mastodon/activities/delete.json, smithereen create_note.json; mitra has none
    payloads = INTEROP / "payloads"
    assert proofs.is_ld_signature(_json(payloads / "mastodon/activities/delete.json"))
    assert proofs.is_ld_signature(_json(payloads / "smithereen/activities/create_note.json"))
    mitra = _json(payloads / "mitra/activities/create_post.json")
    assert not proofs.is_ld_signature(mitra)
    assert proofs.proof_verification_method(mitra) == "https://mitra.social/users/test#ed25519-key"
    stripped = proofs.strip_ld_signature(_json(payloads / "mastodon/activities/delete.json"))
    assert "signature" not in stripped


def test_ld_signature_added_after_proof_is_tolerated() -> None:
    # Fedify attaches the RsaSignature2017 signature after the integrity proof
    key = generate_ed25519_key()
    signed = proofs.sign_object(_fep_document(), key, verification_method="k", created=VECTOR_CREATED)
    signed["signature"] = {"type": "RsaSignature2017", "creator": "k2", "signatureValue": "AA=="}
    assert proofs.verify_object(signed, key.public_key()).ok
    signed["signature"]["type"] = "SomethingElse"  # not an LD signature: not stripped
    assert not proofs.verify_object(signed, key.public_key()).ok


def test_ld_signature_present_when_signing_still_verifies() -> None:
    key = generate_ed25519_key()
    document = dict(_fep_document(), signature={"type": "RsaSignature2017", "signatureValue": "x"})
    signed = proofs.sign_object(document, key, verification_method="k", created=VECTOR_CREATED)
    assert proofs.verify_object(signed, key.public_key()).ok


# --- hostile input never raises --------------------------------------------------------


def _deep(levels: int) -> Any:
    value: Any = "x"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "document",
    [
        [],
        "proof",
        None,
        {},
        {"proof": None},
        {"proof": "z123"},
        {"proof": [1, "x", None]},
        {"proof": {"cryptosuite": "eddsa-jcs-2022"}},
        {"proof": {"cryptosuite": "eddsa-jcs-2022", "type": "DataIntegrityProof"}},
        {
            "proof": {
                "cryptosuite": "eddsa-jcs-2022",
                "type": "DataIntegrityProof",
                "verificationMethod": "k",
                "proofPurpose": "assertionMethod",
                "proofValue": "z0OIl",
            }
        },
        {
            "proof": {
                "cryptosuite": "eddsa-jcs-2022",
                "type": "DataIntegrityProof",
                "verificationMethod": "k",
                "proofPurpose": "assertionMethod",
                "proofValue": "z" + "2" * 5000,
            }
        },
        {
            "proof": {
                "cryptosuite": "eddsa-jcs-2022",
                "type": "DataIntegrityProof",
                "verificationMethod": "k",
                "proofPurpose": "assertionMethod",
                "created": "yesterday",
                "proofValue": "z2",
            }
        },
        {
            "proof": {
                "cryptosuite": "eddsa-jcs-2022",
                "type": "DataIntegrityProof",
                "verificationMethod": ["k"],
                "proofValue": 5,
            }
        },
        {"@context": 7, "proof": {"cryptosuite": "eddsa-jcs-2022", "@context": [1, 2]}},
    ],
)
def test_hostile_documents_fail_cleanly(document: Any) -> None:
    result = proofs.verify_object(document, generate_ed25519_key().public_key())
    assert not result.ok and result.reason


@pytest.mark.parametrize("extra", [2**64, float("inf"), _deep(5000), {1: "non-string key"}])
def test_uncanonicalisable_documents_fail_cleanly(extra: Any) -> None:
    key = generate_ed25519_key()
    signed = proofs.sign_object(_fep_document(), key, verification_method="k", created=VECTOR_CREATED)
    signed["object"]["extra"] = extra
    result = proofs.verify_object(signed, key.public_key())
    assert not result.ok and result.verification_method == "k"
    assert proofs.proof_verification_method({"proof": {"cryptosuite": "eddsa-jcs-2022"}}) is None
