"""Our request signers: the two-step form the HTTP client uses for RSA (prepare on the
event loop, the bare RSA operation on the signing thread) gives exactly the headers of
the one-step signer, and those verify; Ed25519 RFC 9421 signers stay one step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from activitypub import keys
from activitypub.request_signing import verify_request
from activitypub.signatures import HttpRequestParts
from federation.http import HttpClient
from server.keyring import SigningKeys
from server.remote import make_signer

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
URL = "https://b.example/users/bob/inbox"
BODY = b'{"type": "Create"}'
HEADERS = {"Content-Type": "application/activity+json", "Accept": "application/activity+json"}
RSA = keys.generate_rsa_key()
ED = keys.generate_ed25519_key()
SIGNING = SigningKeys(
    actor_ap_id="https://a.example/users/anna",
    rsa_key_id="https://a.example/users/anna#main-key",
    rsa=RSA,
    ed25519_key_id="https://a.example/users/anna#ed25519-key",
    ed25519=ED,
)


def test_two_steps_give_the_one_step_headers_and_they_verify() -> None:
    signer = make_signer(SIGNING, clock=lambda: NOW)
    assert signer.costly  # type: ignore[attr-defined]
    pending = signer.prepare("POST", URL, HEADERS, BODY)  # type: ignore[attr-defined]
    two_steps = pending.complete(signer.raw(pending.data))  # type: ignore[attr-defined]
    assert two_steps == signer("POST", URL, HEADERS, BODY)
    parts = HttpRequestParts("POST", URL, {k.lower(): v for k, v in two_steps.items()}, BODY)
    result = verify_request(parts, RSA.public_key(), now=NOW)
    assert result.ok and result.key_id == SIGNING.rsa_key_id


def test_ed25519_rfc9421_signers_are_one_step_and_cheap() -> None:
    signer = make_signer(SIGNING, clock=lambda: NOW, scheme="rfc9421")
    assert not signer.costly  # type: ignore[attr-defined]
    assert not hasattr(signer, "prepare")


async def test_the_client_signs_in_two_steps_with_the_rsa_operation_on_its_thread() -> None:
    signer = make_signer(SIGNING, clock=lambda: NOW)
    threads: list[str] = []
    raw = signer.raw  # type: ignore[attr-defined]

    def recording_raw(data: bytes) -> bytes:
        import threading

        threads.append(threading.current_thread().name)
        return raw(data)  # type: ignore[no-any-return]

    signer.raw = recording_raw  # type: ignore[attr-defined]
    async with HttpClient("https://a.example") as client:
        headers = await client._sign(signer, "POST", URL, dict(HEADERS), BODY)
    assert threads and threads[0].startswith("buurtplein-signing")
    assert headers == make_signer(SIGNING, clock=lambda: NOW)("POST", URL, HEADERS, BODY)
    await asyncio.sleep(0)


async def test_costly_signatures_run_side_by_side_on_the_signing_threads() -> None:
    import threading
    import time

    signer = make_signer(SIGNING, clock=lambda: NOW)
    raw = signer.raw  # type: ignore[attr-defined]
    names: set[str] = set()

    def slow_raw(data: bytes) -> bytes:
        names.add(threading.current_thread().name)
        time.sleep(0.2)  # a signature that takes long (the thread does not hold the GIL)
        return raw(data)  # type: ignore[no-any-return]

    signer.raw = slow_raw  # type: ignore[attr-defined]
    async with HttpClient("https://a.example", signing_threads=3) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client._sign(signer, "POST", URL, dict(HEADERS), BODY) for _ in range(6)))
        elapsed = time.perf_counter() - started
    assert len(names) == 3
    assert elapsed < 0.55  # two rounds of three, not six in a row (1.2 s)
