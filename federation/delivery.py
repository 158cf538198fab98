"""Sign and POST one activity to one inbox; classify the answer.

Double-knocking: a host whose signature scheme is unknown is tried with RFC 9421 first;
on a 401 (or a 400) it is tried again at once with draft-cavage, and the scheme that
worked is reported so the caller remembers it per host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from activitypub.signatures import Scheme
from federation.http import HttpClient, RequestError, RequestRefused
from federation.ports import RequestSigner
from federation.retry import Outcome, classify, parse_retry_after

CONTENT_TYPE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@dataclass(frozen=True)
class DeliveryResult:
    outcome: Outcome
    status: int | None
    scheme: Scheme
    retry_after: timedelta | None = None
    error: str | None = None


async def deliver(
    client: HttpClient,
    inbox: str,
    body: bytes,
    *,
    signer_for: Callable[[Scheme], RequestSigner],
    known_scheme: Scheme | None,
    now: Callable[[], datetime],
) -> DeliveryResult:
    first: Scheme = known_scheme or "rfc9421"
    result = await _post(client, inbox, body, signer_for(first), first, now)
    if result.outcome is Outcome.RETRY_OTHER_SCHEME and first == "rfc9421":
        return await _post(client, inbox, body, signer_for("cavage"), "cavage", now)
    return result


async def _post(
    client: HttpClient,
    inbox: str,
    body: bytes,
    signer: RequestSigner,
    scheme: Scheme,
    now: Callable[[], datetime],
) -> DeliveryResult:
    headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/activity+json"}
    try:
        response = await client.post(inbox, headers, body, signer=signer)
    except RequestRefused as exc:
        return DeliveryResult(classify(None, refused=True), None, scheme, error=exc.reason)
    except RequestError as exc:
        return DeliveryResult(classify(None, error=exc.reason), None, scheme, error=exc.reason)
    outcome = classify(response.status, scheme=scheme)
    error = None if outcome is Outcome.DONE else f"HTTP {response.status}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now())
    return DeliveryResult(outcome, response.status, scheme, retry_after, error)
