"""Fetching remote ActivityPub objects and JSON documents, with results as values.

A fetched object is only trusted when the server that finally answered is the
origin its `id` names: a document can not speak for another server. An `id` on
the same origin as the final URL but different from it is accepted (servers often
answer `/@alice` with the document whose id is `/users/alice`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yarl import URL

from activitypub.jsonparse import JsonError, parse_json_object
from federation.http import (
    HttpClient,
    HttpResponse,
    RequestFailed,
    RequestRefused,
    ResponseTooLarge,
)
from federation.ports import RequestSigner

ACTIVITY_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACTIVITY_MEDIA_TYPES = frozenset({"application/activity+json", "application/ld+json"})
JSON_MEDIA_TYPES = frozenset({"application/json", "application/jrd+json"})


@dataclass(frozen=True)
class Fetched:
    document: dict[str, Any]
    url: str  # final URL, after redirects


@dataclass(frozen=True)
class Gone:
    """410: the object was deleted."""


@dataclass(frozen=True)
class NotFound:
    """404."""


@dataclass(frozen=True)
class Unavailable:
    """Worth trying again later: 5xx, other unexpected statuses, timeouts, network."""

    reason: str
    status: int | None = None


@dataclass(frozen=True)
class Refused:
    """Not acceptable, retrying will not help: forbidden target, too many redirects,
    oversized body, wrong content type, invalid JSON, missing or foreign id."""

    reason: str


FetchResult = Fetched | Gone | NotFound | Unavailable | Refused


def media_type(content_type: str | None) -> str:
    """`text/HTML; charset=utf-8` -> `text/html`; empty string when absent."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_activity_media_type(content_type: str | None) -> bool:
    """AS2 content: application/activity+json or application/ld+json (any profile)."""
    return media_type(content_type) in ACTIVITY_MEDIA_TYPES


def same_origin(a: str | URL, b: str | URL) -> bool:
    """Scheme, host and effective port equal; False if either is not an absolute URL."""
    try:
        ua, ub = URL(a), URL(b)
    except (TypeError, ValueError):
        return False
    if not (ua.raw_host and ub.raw_host):
        return False
    return _origin(ua) == _origin(ub)


def _origin(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme.lower(), (url.raw_host or "").lower().rstrip("."), url.port)


async def fetch_object(client: HttpClient, url: str, *, signer: RequestSigner | None = None) -> FetchResult:
    """GET an ActivityStreams document and check it speaks for the origin it came from."""
    result = await _fetch(client, url, ACTIVITY_ACCEPT, ACTIVITY_MEDIA_TYPES, signer)
    if not isinstance(result, Fetched):
        return result
    object_id = result.document.get("id")
    if not isinstance(object_id, str) or not object_id:
        return Refused("document has no id")
    if _http_url(object_id) is None:
        return Refused("document id is not an absolute http(s) URL")
    if not same_origin(object_id, result.url):
        return Refused(f"document id {object_id} is not on the origin of {result.url}")
    return result


async def fetch_json(client: HttpClient, url: str, accept: str) -> FetchResult:
    """GET a plain JSON object (WebFinger, NodeInfo): application/json or jrd+json."""
    return await _fetch(client, url, accept, JSON_MEDIA_TYPES, None)


async def _fetch(
    client: HttpClient,
    url: str,
    accept: str,
    media_types: frozenset[str],
    signer: RequestSigner | None,
) -> FetchResult:
    try:
        response = await client.get(url, {"Accept": accept}, signer=signer)
    except (RequestRefused, ResponseTooLarge) as exc:
        return Refused(exc.reason)
    except RequestFailed as exc:
        return Unavailable(exc.reason)
    return _interpret(response, media_types)


def _interpret(response: HttpResponse, media_types: frozenset[str]) -> FetchResult:
    status = response.status
    if status == 410:
        return Gone()
    if status == 404:
        return NotFound()
    if status != 200:
        return Unavailable(f"HTTP {status}", status)
    received = media_type(response.headers.get("Content-Type"))
    if received not in media_types:
        return Refused(f"unexpected content type {received or '(none)'}")
    try:
        document = parse_json_object(response.body)
    except JsonError as exc:
        return Refused(str(exc))
    return Fetched(document, response.url)


def _http_url(text: str) -> URL | None:
    try:
        url = URL(text)
    except (TypeError, ValueError):
        return None
    if url.scheme not in ("http", "https") or not url.raw_host:
        return None
    return url
