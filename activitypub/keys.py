"""Key generation, PEM encoding and FEP-521a Multikey (pure; no I/O).

RSA-2048 keys sign draft-cavage HTTP signatures (what every server accepts);
Ed25519 keys sign RFC 9421 requests and FEP-8b32 object integrity proofs.
"""

from __future__ import annotations

import base64
import re
from typing import TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey

# multicodec prefix of an Ed25519 public key (0xed varint-encoded), FEP-521a / did:key
_ED25519_PUB_PREFIX = b"\xed\x01"
_ED25519_PRIV_PREFIX = b"\x80\x26"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_PEM_RE = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


class KeyError_(ValueError):
    """A key document could not be read."""


def generate_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def generate_ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def private_key_to_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_to_pem(key: PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def load_private_key(pem: str) -> PrivateKey:
    """Load a PKCS#8 (or PKCS#1) private key. Costly for RSA: load once and keep the object."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyError_(f"unsupported private key type {type(key).__name__}")
    return key


def load_public_key(pem: str) -> PublicKey:
    """Load a public key PEM as SPKI ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY", as Mobilizon sends).

    Tolerates surrounding whitespace and escaped newlines that some servers emit.
    """
    text = pem.replace("\\n", "\n").strip()
    match = _PEM_RE.search(text)
    if match is None:
        raise KeyError_("no PEM block found")
    label = match.group(1)
    body = "".join(match.group(2).split())
    try:
        der = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise KeyError_("PEM body is not base64") from exc
    try:
        key: object
        if label == "RSA PUBLIC KEY":
            key = serialization.load_der_public_key(_pkcs1_to_spki(der))
        elif label == "PUBLIC KEY":
            key = serialization.load_der_public_key(der)
        else:
            raise KeyError_(f"unsupported PEM label {label!r}")
    except ValueError as exc:
        raise KeyError_(f"unreadable public key: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyError_(f"unsupported public key type {type(key).__name__}")
    return key


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _pkcs1_to_spki(pkcs1_der: bytes) -> bytes:
    """Wrap a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo structure."""
    algorithm = bytes.fromhex("300d06092a864886f70d0101010500")  # rsaEncryption, NULL
    bit_string = b"\x03" + _der_length(len(pkcs1_der) + 1) + b"\x00" + pkcs1_der
    inner = algorithm + bit_string
    return b"\x30" + _der_length(len(inner)) + inner


def b58encode(data: bytes) -> str:
    num = int.from_bytes(data, "big")
    out = ""
    while num > 0:
        num, rem = divmod(num, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + out


def b58decode(text: str) -> bytes:
    num = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise KeyError_(f"invalid base58 character {char!r}")
        num = num * 58 + index
    pad = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\x00" * pad + body


def ed25519_public_to_multibase(key: ed25519.Ed25519PublicKey) -> str:
    """FEP-521a `publicKeyMultibase`: base58btc ('z') of the multicodec-prefixed raw key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(_ED25519_PUB_PREFIX + raw)


def ed25519_public_from_multibase(value: str) -> ed25519.Ed25519PublicKey:
    if not value.startswith("z"):
        raise KeyError_("only base58btc ('z') multibase is supported")
    data = b58decode(value[1:])
    if not data.startswith(_ED25519_PUB_PREFIX) or len(data) != 34:
        raise KeyError_("not an Ed25519 multikey")
    return ed25519.Ed25519PublicKey.from_public_bytes(data[2:])


def ed25519_private_from_multibase(value: str) -> ed25519.Ed25519PrivateKey:
    """Read a `secretKeyMultibase` (as in the vc-di-eddsa test vectors)."""
    if not value.startswith("z"):
        raise KeyError_("only base58btc ('z') multibase is supported")
    data = b58decode(value[1:])
    if not data.startswith(_ED25519_PRIV_PREFIX) or len(data) != 34:
        raise KeyError_("not an Ed25519 secret multikey")
    return ed25519.Ed25519PrivateKey.from_private_bytes(data[2:])
