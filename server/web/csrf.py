"""CSRF: every form carries a token, every form POST is checked before its handler runs.

Signed in, the token is an HMAC of the session's own CSRF secret; signed out (login,
registration, language), it is an HMAC under the instance's secret key of a random value
in an HttpOnly cookie (`bp_csrf`) set with the first page. A POST whose body is a form and
whose token does not match answers 403 and changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from aiohttp import web

from server.appkeys import SETTINGS
from server.web.sessions import Handler, current_session, set_cookie

log = logging.getLogger(__name__)
CSRF_COOKIE = "bp_csrf"
CSRF_FIELD = "csrf"
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
COOKIE_AGE = 60 * 60 * 24 * 30
_NEW_ANON = web.RequestKey("csrf_new_cookie", str)


def _mac(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def _anonymous_value(request: web.Request) -> str:
    value = request.cookies.get(CSRF_COOKIE, "")
    if 16 <= len(value) <= 100:
        return value
    if _NEW_ANON not in request:
        request[_NEW_ANON] = secrets.token_urlsafe(24)
    return request[_NEW_ANON]


def csrf_token(request: web.Request) -> str:
    """The token to put in this reader's forms."""
    session = current_session(request)
    if session is not None:
        return _mac(session.csrf_secret, "form")
    return _mac(request.app[SETTINGS].secret_key, "anon:" + _anonymous_value(request))


def is_form(request: web.Request) -> bool:
    return request.method == "POST" and request.content_type in FORM_TYPES


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if is_form(request):
        try:
            form = await request.post()
        except (ValueError, UnicodeDecodeError):
            from server.web.templating import render_error

            return render_error(request, 400, "The form could not be read.")
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token(request)):
            log.info("csrf refused", extra={"path": request.path})
            from server.web.templating import render_error

            return render_error(request, 403, "This form has expired. Go back, reload the page and try again.")
    response = await handler(request)
    if _NEW_ANON in request and not response.prepared:
        set_cookie(request, response, CSRF_COOKIE, request[_NEW_ANON], COOKIE_AGE)
    return response
