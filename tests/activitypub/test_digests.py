"""Digest (RFC 3230, as draft-cavage senders use it) and Content-Digest (RFC 9530)."""

from __future__ import annotations

import pytest

from activitypub.digests import (
    check_content_digest,
    check_digest,
    make_content_digest,
    make_digest,
    parse_content_digest,
)

HELLO = b'{"hello": "world"}'  # 18 bytes, as in RFC 9530 Appendix D and RFC 9421 B.2
HELLO_LF = HELLO + b"\n"  # 19 bytes, as in RFC 9530 section 2 and Appendix B


def test_rfc9530_section2_sha512_example() -> None:
    """RFC 9530 section 2: the sha-512 Content-Digest of `{"hello": "world"}` + LF."""
    assert make_content_digest(HELLO_LF, "sha-512") == (
        "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
    )


def test_rfc9530_appendix_b1_sha256_with_lf() -> None:
    """RFC 9530 Appendix B.1: sha-256 over the 19-byte body with its LF."""
    assert make_content_digest(HELLO_LF) == "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"


def test_rfc9530_appendix_b2_empty_content() -> None:
    """RFC 9530 Appendix B.2: empty content."""
    assert make_content_digest(b"") == "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"


def test_rfc9530_appendix_d_sample_values() -> None:
    """RFC 9530 Appendix D: sha-256 and sha-512 of `{"hello": "world"}` (no LF)."""
    assert make_content_digest(HELLO) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    assert make_content_digest(HELLO, "sha-512") == (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
    )


def test_cavage_digest_matches_the_draft_example() -> None:
    """draft-cavage-http-signatures-12 Appendix C: the `Digest` of the 18-byte body."""
    assert make_digest(HELLO) == "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="


def test_check_content_digest_accepts_both_algorithms_and_multiple_members() -> None:
    both = make_content_digest(HELLO) + ", " + make_content_digest(HELLO, "sha-512")
    assert check_content_digest(both, HELLO)
    assert check_content_digest(make_content_digest(HELLO, "sha-512"), HELLO)
    assert check_content_digest("md5=:Sd/dVLAcvNLSq16eXua5uQ==:, " + make_content_digest(HELLO), HELLO)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (make_content_digest(HELLO_LF), "digest mismatch"),
        (
            make_content_digest(HELLO) + ", " + make_content_digest(b"x", "sha-512"),
            "digest mismatch",
        ),
        ("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", "no supported digest algorithm"),
        ("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "malformed content-digest header"),
        ("sha-256=:AAAA:", "malformed content-digest header"),
        ("sha-256=:" + "A" * 5000 + ":", "malformed content-digest header"),
        ("", "malformed content-digest header"),
        (
            "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\u00e9",
            "malformed content-digest header",
        ),
    ],
)
def test_check_content_digest_refusals(header: str, reason: str) -> None:
    result = check_content_digest(header, HELLO)
    assert not result
    assert result.reason == reason


def test_parse_content_digest_ignores_unknown_algorithms() -> None:
    assert set(parse_content_digest("unknown=:AAAA:, " + make_content_digest(HELLO)) or {}) == {"sha-256"}


def test_check_digest_is_case_insensitive_on_the_algorithm() -> None:
    assert check_digest("SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", HELLO)
    assert check_digest("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", HELLO)
    assert check_digest("MD5=Sd/dVLAcvNLSq16eXua5uQ==, " + make_digest(HELLO), HELLO)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (make_digest(HELLO_LF), "digest mismatch"),
        ("SHA-256", "malformed digest header"),
        ("SHA-256=not base64!", "malformed digest header"),
        ("SHA-256=AAAA", "malformed digest header"),
        ("MD5=Sd/dVLAcvNLSq16eXua5uQ==", "no supported digest algorithm"),
        ("SHA-256=" + "A" * 5000, "digest header too large"),
    ],
)
def test_check_digest_refusals(header: str, reason: str) -> None:
    result = check_digest(header, HELLO)
    assert not result
    assert result.reason == reason
