"""RSASSA-PKCS1-v1_5 SHA-256 verification by recovering the encoded message
(activitypub.signatures.rsa_sha256_verifies) agrees with `cryptography`'s own verify:
on good signatures, on other hashes and paddings, on mutated and malformed signatures,
and on hand-made encodings that differ from the RFC 8017 one in a single place."""

from __future__ import annotations

import hashlib
import random

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from activitypub.signatures import rsa_sha256_verifies

DATA = b"(request-target): post /inbox\nhost: b.example\ndate: Sat, 01 Mar 2025 12:00:00 GMT"
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def library_verifies(public: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def agree(public: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    ours = rsa_sha256_verifies(public, signature, data)
    assert ours == library_verifies(public, signature, data), signature.hex()
    return ours


def raw_sign(private: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    """The RSA private operation on an encoded message of our making (no padding added)."""
    numbers = private.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    return pow(int.from_bytes(encoded, "big"), numbers.d, n).to_bytes(size, "big")


def encoded(size: int, digest_info: bytes, *, block_type: int = 1, filler: int = 0xFF, extra: bytes = b"") -> bytes:
    """00 || block type || filler bytes || 00 || digest info || extra, `size` bytes long."""
    fill = size - 3 - len(digest_info) - len(extra)
    return bytes([0, block_type]) + bytes([filler]) * fill + b"\x00" + digest_info + extra


@pytest.mark.parametrize("bits", [1024, 2048, 3072, 4096])
def test_a_good_signature_verifies_and_a_changed_message_does_not(bits: int) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    signature = private.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    assert agree(private.public_key(), signature, DATA)
    assert not agree(private.public_key(), signature, DATA + b" ")
    assert not agree(private.public_key(), signature, b"")


@pytest.mark.parametrize("algorithm", [hashes.SHA1(), hashes.SHA384(), hashes.SHA512(), hashes.SHA224()])
def test_a_signature_with_another_hash_is_refused(key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm) -> None:
    signature = key.sign(DATA, padding.PKCS1v15(), algorithm)
    assert not agree(key.public_key(), signature, DATA)


def test_a_pss_signature_and_another_keys_signature_are_refused(key: rsa.RSAPrivateKey) -> None:
    pss = key.sign(DATA, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    assert not agree(key.public_key(), pss, DATA)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not agree(key.public_key(), other.sign(DATA, padding.PKCS1v15(), hashes.SHA256()), DATA)


def test_malformed_signatures_are_refused(key: rsa.RSAPrivateKey) -> None:
    public = key.public_key()
    good = key.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    n = public.public_numbers().n
    for signature in [
        b"",
        good[:-1],
        good + b"\x00",
        b"\x00" + good,
        bytes(256),
        b"\xff" * 256,
        (n - 1).to_bytes(256, "big"),
        (n + 1).to_bytes(256, "big"),
        b"\x01" + bytes(255),
    ]:
        assert not agree(public, signature, DATA)


def test_every_single_bit_flip_of_a_good_signature_is_refused(key: rsa.RSAPrivateKey) -> None:
    good = key.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    chooser = random.Random(20251130)
    for _ in range(200):
        position = chooser.randrange(len(good) * 8)
        flipped = bytearray(good)
        flipped[position // 8] ^= 1 << (position % 8)
        assert not agree(key.public_key(), bytes(flipped), DATA)


def test_the_exact_encoding_made_by_hand_verifies(key: rsa.RSAPrivateKey) -> None:
    digest_info = SHA256_PREFIX + hashlib.sha256(DATA).digest()
    signature = raw_sign(key, encoded(256, digest_info))
    assert signature == key.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    assert agree(key.public_key(), signature, DATA)


def test_encodings_that_differ_in_one_place_are_refused(key: rsa.RSAPrivateKey) -> None:
    digest = hashlib.sha256(DATA).digest()
    digest_info = SHA256_PREFIX + digest
    # the DigestInfo without the NULL parameters (a form RFC 8017 mentions, OpenSSL refuses)
    without_null = bytes.fromhex("302f300b0609608648016503040201") + bytes.fromhex("0420") + digest
    variants = [
        encoded(256, without_null),
        encoded(256, digest_info, block_type=2),  # encryption padding
        encoded(256, digest_info, filler=0xFE),
        encoded(256, digest_info, extra=b"\x00"),  # garbage after the hash (shorter filler)
        encoded(256, digest_info, extra=b"\xff" * 8),
        encoded(256, SHA256_PREFIX + digest[:-1] + bytes([digest[-1] ^ 1])),
        encoded(256, digest_info[:-32] + hashlib.sha256(DATA + b"x").digest()),
        encoded(256, digest),  # the bare hash, no DigestInfo
    ]
    for message in variants:
        assert not agree(key.public_key(), raw_sign(key, message), DATA), message.hex()
    # too few filler bytes: the DigestInfo moved up with garbage in front
    short = bytes([0, 1]) + b"\xff" * 7 + b"\x00" + bytes(195) + digest_info
    assert not agree(key.public_key(), raw_sign(key, short), DATA)
