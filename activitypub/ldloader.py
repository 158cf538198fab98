"""Offline JSON-LD document loader for pyld (pure; never touches the network).

Serves pyld 3's own bundled contexts (`pyld.BUNDLED_CONTEXTS`: activitystreams,
security v1/v2, credentials, DID, ed25519-2020, jws-2020) and the context files
bundled in `activitypub/contexts/` (see SOURCES.md there). `http://` and `https://`
spellings resolve alike; a fragment or trailing slash is ignored. Any other URL
resolves to an empty context `{"@context": {}}` with one warning per URL: never a
fetch, never an error.

`expand` and `compact` always pass this loader. pyld costs ~11 ms per activity,
so the server does not run it on every incoming activity; it is for LD signatures
and documents whose contexts the plain-JSON readers do not understand.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pyld import BUNDLED_CONTEXTS, jsonld

logger = logging.getLogger(__name__)

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_V1_CONTEXT = "https://w3id.org/security/v1"
SECURITY_V2_CONTEXT = "https://w3id.org/security/v2"
DATA_INTEGRITY_V1_CONTEXT = "https://w3id.org/security/data-integrity/v1"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
IDENTITY_V1_CONTEXT = "https://w3id.org/identity/v1"
WEBFINGER_CONTEXT = "https://purl.archive.org/socialweb/webfinger"
GOTOSOCIAL_CONTEXT = "https://gotosocial.org/ns"
LITEPUB_CONTEXT = "https://litepub.social/litepub/context.jsonld"

# canonical URL -> file name in activitypub/contexts/
LOCAL_CONTEXTS: dict[str, str] = {
    DATA_INTEGRITY_V1_CONTEXT: "data-integrity-v1.jsonld",
    DATA_INTEGRITY_V2_CONTEXT: "data-integrity-v2.jsonld",
    MULTIKEY_V1_CONTEXT: "multikey-v1.jsonld",
    IDENTITY_V1_CONTEXT: "identity-v1.jsonld",
    WEBFINGER_CONTEXT: "socialweb-webfinger.jsonld",
    GOTOSOCIAL_CONTEXT: "gotosocial-ns.jsonld",
    LITEPUB_CONTEXT: "litepub-0.1.jsonld",
}
# Pleroma and Akkoma serve the LitePub context from every instance
_LITEPUB_ANY_HOST = re.compile(r"https://[^/?#]+/schemas/litepub-0\.1\.jsonld")
_ALIASES: dict[str, str] = {
    "https://www.w3.org/ns/activitystreams.jsonld": AS_CONTEXT,
}
_EMPTY: dict[str, Any] = {"@context": {}}
_MAX_WARNED = 1024
_MAX_LOGGED_URL = 200

_parsed: dict[str, dict[str, Any]] = {}
_warned: set[str] = set()


def known_context_urls() -> frozenset[str]:
    """Every canonical URL this loader serves from disk (LitePub per-host URLs aside)."""
    pyld_urls: set[str] = set(BUNDLED_CONTEXTS)
    return frozenset(pyld_urls | set(LOCAL_CONTEXTS))


def normalize_url(url: str) -> str:
    """The canonical spelling used as key: https, no fragment, no trailing slash."""
    text = url.strip()
    text = text.split("#", 1)[0]
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        host, slash, path = rest.partition("/")
        text = f"https://{host.lower()}{slash}{path}"
    text = text.rstrip("/") if text.count("/") > 2 else text
    if _LITEPUB_ANY_HOST.fullmatch(text):
        return LITEPUB_CONTEXT
    return _ALIASES.get(text, text)


def load_context(url: str) -> dict[str, Any] | None:
    """A fresh copy of the bundled document for `url`, or None when it is not bundled."""
    key = normalize_url(url)
    if key not in _parsed:
        document = _read_bundled(key)
        if document is None:
            return None
        _parsed[key] = document
    return copy.deepcopy(_parsed[key])


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: bundled contexts only, an empty context for anything else."""
    del options  # headers and the like: nothing is ever requested
    document = load_context(url)
    if document is None:
        _warn_unknown(url)
        document = copy.deepcopy(_EMPTY)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON-LD expansion with the offline loader."""
    result: list[dict[str, Any]] = jsonld.expand(document, {"documentLoader": document_loader})
    return result


def compact(document: dict[str, Any] | list[Any], context: Any) -> dict[str, Any]:
    """JSON-LD compaction against `context` (a URL, a list or a context object), offline."""
    result: dict[str, Any] = jsonld.compact(document, context, {"documentLoader": document_loader})
    return result


def install_default_loader() -> None:
    """Make this loader pyld's process-wide default, so direct pyld calls stay offline."""
    jsonld.set_document_loader(document_loader)


def _read_bundled(key: str) -> dict[str, Any] | None:
    text: str
    if key in LOCAL_CONTEXTS:
        resource = resources.files("activitypub").joinpath("contexts", LOCAL_CONTEXTS[key])
        text = resource.read_text("utf-8")
    elif key in BUNDLED_CONTEXTS:
        path: Path = BUNDLED_CONTEXTS[key]
        text = path.read_text("utf-8")
    else:
        return None
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError(f"bundled context for {key} is not a JSON object")
    return document


def _warn_unknown(url: str) -> None:
    key = normalize_url(url)
    if key in _warned:
        return
    if len(_warned) >= _MAX_WARNED:
        _warned.clear()
    _warned.add(key)
    logger.warning("JSON-LD context %r is not bundled; using an empty context", url[:_MAX_LOGGED_URL])
