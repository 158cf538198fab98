"""Accept negotiation and the response helpers (no server needed)."""

from __future__ import annotations

import orjson
import pytest
from aiohttp.test_utils import make_mocked_request

from server.routes.negotiation import (
    activity_response,
    html_response,
    prefers_activity_json,
    render_page,
    wants_activity_json,
)

AS2_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


@pytest.mark.parametrize(
    "accept",
    [
        "application/activity+json",
        AS2_PROFILE,
        "application/ld+json",
        'application/ld+json; profile="https://www.w3.org/ns/activitystreams https://w3id.org/security/v1"',
        f"application/activity+json, {AS2_PROFILE}",
        "application/activity+json, text/html;q=0.5",
        "text/html;q=0.1, application/activity+json",
        'application/ld+json; profile="http://www.w3.org/ns/activitystreams", text/html',
        "APPLICATION/ACTIVITY+JSON",
    ],
)
def test_as2_accepts_get_json(accept: str) -> None:
    assert prefers_activity_json(accept)


@pytest.mark.parametrize(
    "accept",
    [
        FIREFOX,
        CHROME,
        "*/*",
        "text/html",
        "application/json",
        'application/ld+json; profile="https://example.com/other"',
        "application/activity+json;q=0",
        "application/activity+json;q=0.5, text/html",
        "application/activity+json;q=bogus",
        "",
    ],
)
def test_other_accepts_get_html(accept: str) -> None:
    assert not prefers_activity_json(accept)


def test_missing_accept_is_not_as2() -> None:
    assert not wants_activity_json(make_mocked_request("GET", "/actors/a"))
    request = make_mocked_request("GET", "/actors/a", headers={"Accept": AS2_PROFILE})
    assert wants_activity_json(request)


def test_activity_response_has_media_type_charset_and_vary() -> None:
    response = activity_response({"id": "x", "name": "Oosterpark ✓"}, status=201)
    assert response.status == 201
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert response.headers["Vary"] == "Accept"
    assert isinstance(response.body, bytes)
    assert orjson.loads(response.body) == {"id": "x", "name": "Oosterpark ✓"}


def test_html_response_varies_on_accept_and_pages_escape_the_title() -> None:
    page = render_page(title="<b>x</b>", body_html="<p>ok</p>", lang="nl", alternate='http://a/"b')
    assert '<html lang="nl">' in page
    assert "<title>&lt;b&gt;x&lt;/b&gt;</title>" in page
    assert 'href="http://a/&quot;b"' in page
    response = html_response(page)
    assert response.headers["Vary"] == "Accept"
    assert response.headers["Content-Type"].startswith("text/html")
