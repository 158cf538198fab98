"""Offline JSON-LD document loader.

Sources:
* the context documents bundled in activitypub/contexts/ (see SOURCES.md there) and
  pyld 3's own bundled contexts (pyld.BUNDLED_CONTEXTS)
* FEP-8b32 / FEP-521a actor shape (../shared/interop/vectors/fep/fep-8b32.feature)
* real payloads captured by the Lemmy project (../shared/interop/payloads/)
"""

from __future__ import annotations

import json
import logging
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from activitypub import ldloader

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
AS = "https://www.w3.org/ns/activitystreams#"
SEC = "https://w3id.org/security#"


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any socket use fails the test; pyld's shared context cache starts empty,
    so every context really goes through the loader. Yields the URLs it was asked for."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkUsed(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    jsonld._resolved_context_cache.clear()
    requested: list[str] = []
    real_loader = ldloader.document_loader

    def spy(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        requested.append(url)
        return real_loader(url, options)

    monkeypatch.setattr(ldloader, "document_loader", spy)
    yield requested
    jsonld._resolved_context_cache.clear()


# (context URL, a term it defines, the value, the expanded property or type IRI)
CASES: list[tuple[str, str, Any, str]] = [
    ("https://www.w3.org/ns/activitystreams", "type", "Note", AS + "Note"),
    ("https://w3id.org/security/v1", "publicKeyPem", "pem", SEC + "publicKeyPem"),
    ("https://w3id.org/security/v2", "publicKeyPem", "pem", SEC + "publicKeyPem"),
    (
        "https://w3id.org/security/data-integrity/v1",
        "type",
        "DataIntegrityProof",
        SEC + "DataIntegrityProof",
    ),
    (
        "https://w3id.org/security/data-integrity/v2",
        "type",
        "DataIntegrityProof",
        SEC + "DataIntegrityProof",
    ),
    ("https://w3id.org/security/multikey/v1", "type", "Multikey", SEC + "Multikey"),
    ("https://w3id.org/identity/v1", "publicKeyPem", "pem", SEC + "publicKeyPem"),
    (
        "https://purl.archive.org/socialweb/webfinger",
        "webfinger",
        "alice@example.org",
        "https://purl.archive.org/socialweb/webfinger#webfinger",
    ),
    (
        "https://gotosocial.org/ns",
        "interactionPolicy",
        {"@id": "https://a.example/p"},
        "https://gotosocial.org/ns#interactionPolicy",
    ),
    (
        "https://litepub.social/litepub/context.jsonld",
        "type",
        "Emoji",
        "http://joinmastodon.org/ns#Emoji",
    ),
    (
        "https://pleroma.example/schemas/litepub-0.1.jsonld",
        "type",
        "Emoji",
        "http://joinmastodon.org/ns#Emoji",
    ),
    (
        "https://www.w3.org/2018/credentials/v1",
        "type",
        "VerifiableCredential",
        "https://www.w3.org/2018/credentials#VerifiableCredential",
    ),
    (
        "https://www.w3.org/ns/credentials/v2",
        "type",
        "VerifiableCredential",
        "https://www.w3.org/2018/credentials#VerifiableCredential",
    ),
    (
        "https://www.w3.org/ns/did/v1",
        "alsoKnownAs",
        {"@id": "https://b.example/"},
        AS + "alsoKnownAs",
    ),
]


def _expand_one(url: str, term: str, value: Any) -> dict[str, Any]:
    document = {"@context": url, "@id": "https://a.example/1", term: value}
    if term != "type":
        document["type"] = "https://a.example/Thing"
    expanded = ldloader.expand(document)
    assert len(expanded) == 1
    return expanded[0]


def _has(node: dict[str, Any], term: str, iri: str) -> bool:
    return iri in node.get("@type", []) if term == "type" else iri in node


@pytest.mark.parametrize(("url", "term", "value", "iri"), CASES)
def test_every_bundled_context_expands_offline(offline: list[str], url: str, term: str, value: Any, iri: str) -> None:
    # each context in activitypub/contexts/ and in pyld.BUNDLED_CONTEXTS, sockets refused
    node = _expand_one(url, term, value)
    assert _has(node, term, iri), node
    assert url in offline


@pytest.mark.parametrize(("url", "term", "value", "iri"), CASES)
def test_http_spelling_resolves_like_https(offline: list[str], url: str, term: str, value: Any, iri: str) -> None:
    # servers write both spellings (e.g. Pleroma's http:// LitePub URL on plain-HTTP dev hosts)
    http = "http://" + url.removeprefix("https://")
    assert ldloader.document_loader(http)["document"] == ldloader.load_context(url)
    assert ldloader.document_loader(http + "#")["document"] == ldloader.load_context(url)
    assert _has(_expand_one(http, term, value), term, iri)


def test_cases_cover_every_bundled_url() -> None:
    # activitypub/contexts/*.jsonld and pyld.BUNDLED_CONTEXTS, except pyld's jws-2020 / ed25519-2020
    covered = {ldloader.normalize_url(url) for url, *_ in CASES}
    others = {
        "https://w3id.org/security/suites/ed25519-2020/v1",
        "https://w3id.org/security/suites/jws-2020/v1",
    }
    assert ldloader.known_context_urls() - others <= covered
    for url in others:
        assert ldloader.load_context(url) is not None
    bundled = Path(ldloader.__file__).parent / "contexts"
    assert {p.name for p in bundled.glob("*.jsonld")} == set(ldloader.LOCAL_CONTEXTS.values())


def test_unknown_context_is_empty_with_one_log_line(offline: list[str], caplog: pytest.LogCaptureFixture) -> None:
    # README of ../shared/interop: unknown contexts -> empty context, a log line, no fetch
    unknown = f"https://unknown-{uuid.uuid4().hex}.example/context.json"
    document = {
        "@context": [ldloader.AS_CONTEXT, unknown],
        "id": "https://a.example/1",
        "type": "Note",
        "content": "hoi",
    }
    with caplog.at_level(logging.WARNING, logger="activitypub.ldloader"):
        expanded = ldloader.expand(document)
        ldloader.expand(document)
        assert ldloader.document_loader(unknown)["document"] == {"@context": {}}
    assert expanded[0][AS + "content"] == [{"@value": "hoi"}]
    lines = [r for r in caplog.records if r.name == "activitypub.ldloader"]
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert unknown in lines[0].getMessage()
    assert unknown in offline


def test_unknown_terms_are_dropped_not_fatal(offline: list[str]) -> None:
    unknown = f"http://unknown-{uuid.uuid4().hex}.example/ns"
    expanded = ldloader.expand({"@context": unknown, "id": "https://a.example/1", "foo": "bar"})
    assert expanded == []


def test_long_unknown_url_log_is_truncated(caplog: pytest.LogCaptureFixture) -> None:
    unknown = "https://a.example/" + "x" * 10_000 + uuid.uuid4().hex
    with caplog.at_level(logging.WARNING, logger="activitypub.ldloader"):
        ldloader.document_loader(unknown)
    assert len(caplog.records) == 1
    assert len(caplog.records[0].getMessage()) < 400


def test_loader_returns_independent_copies() -> None:
    first = ldloader.document_loader(ldloader.MULTIKEY_V1_CONTEXT)["document"]
    first["@context"].clear()
    assert ldloader.document_loader(ldloader.MULTIKEY_V1_CONTEXT)["document"]["@context"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.w3.org/ns/activitystreams", ldloader.AS_CONTEXT),
        ("https://www.w3.org/ns/activitystreams#", ldloader.AS_CONTEXT),
        ("https://WWW.W3.ORG/ns/activitystreams/", ldloader.AS_CONTEXT),
        ("https://www.w3.org/ns/activitystreams.jsonld", ldloader.AS_CONTEXT),
        ("http://mk.example/schemas/litepub-0.1.jsonld", ldloader.LITEPUB_CONTEXT),
        (
            "https://a.example/x/schemas/litepub-0.1.jsonld",
            "https://a.example/x/schemas/litepub-0.1.jsonld",
        ),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert ldloader.normalize_url(url) == expected


def test_fep_8b32_actor_multikey_expands(offline: list[str]) -> None:
    # fep-8b32.feature "Verifying a signature": the actor's @context and assertionMethod
    feature = INTEROP / "vectors" / "fep" / "fep-8b32.feature"
    if not feature.exists():
        pytest.skip(f"interop vectors absent: {feature}")
    docstrings = re.findall(r'"""\n(.*?)\n\s*"""', feature.read_text("utf-8"), re.S)
    actor = next(json.loads(d) for d in docstrings if '"assertionMethod": [' in d)
    node = ldloader.expand(actor)[0]
    # none of the actor's three contexts defines a top-level `assertionMethod` (data-integrity
    # scopes it inside proofs), so the activitystreams "@vocab": "_:" turns it into a blank
    # property; the Multikey inside still expands. Plain-JSON readers must not rely on LD here.
    keys = node["_:assertionMethod"]
    assert keys[0]["@type"] == [SEC + "Multikey"]
    assert keys[0][SEC + "publicKeyMultibase"][0]["@value"].startswith("z6Mk")


def test_compact_round_trip(offline: list[str]) -> None:
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://a.example/notes/1",
        "type": "Note",
        "content": "Goedemorgen",
        "to": "https://www.w3.org/ns/activitystreams#Public",
    }
    compacted = ldloader.compact(ldloader.expand(note), ldloader.AS_CONTEXT)
    assert compacted == dict(note, to="as:Public")


def test_every_real_payload_expands_offline(offline: list[str]) -> None:
    # ../shared/interop/payloads: 14 programs' JSON, including join-lemmy.org and fedia.io
    # contexts that are not bundled
    payloads = sorted((INTEROP / "payloads").rglob("*.json"))
    if not payloads:
        pytest.skip(f"interop payloads absent: {INTEROP / 'payloads'}")
    for path in payloads:
        ldloader.expand(json.loads(path.read_text("utf-8")))
