"""Cookie flags and safe redirects, without a server."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from server.appkeys import SETTINGS
from server.config import Settings
from server.web.access import safe_next
from server.web.sessions import set_cookie


def cookie_header(scheme: str) -> str:
    app = web.Application()
    app[SETTINGS] = Settings(scheme=scheme, secret_key="k")
    request = make_mocked_request("GET", "/", app=app)
    response = web.Response()
    set_cookie(request, response, "bp_session", "token", 60)
    return response.cookies["bp_session"].OutputString()


def test_cookies_are_secure_on_https_and_always_httponly_samesite_lax() -> None:
    https = cookie_header("https")
    assert "Secure" in https and "HttpOnly" in https and "SameSite=Lax" in https
    http = cookie_header("http")
    assert "Secure" not in http and "HttpOnly" in http


def test_only_local_paths_are_followed_after_login() -> None:
    assert safe_next("/home?x=1") == "/home?x=1"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/a\r\nSet-Cookie: x", ""):
        assert safe_next(bad) == "/"
