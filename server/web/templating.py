"""Jinja2 through aiohttp-jinja2: autoescape on, the i18n extension with new-style gettext
(`_("Hello %(name)s", name=…)`, escaped), dates in a time zone and the reader's language
(Babel), and the response helpers every page uses (security headers included)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp_jinja2
import jinja2
from aiohttp import web
from babel.dates import format_datetime
from markupsafe import Markup

from server.appkeys import SETTINGS
from server.convert.to_as import sanitise_html
from server.web import post_lists
from server.web.csrf import csrf_token
from server.web.i18n import LANGUAGE_NAMES, LANGUAGES, choose_language, load_translations
from server.web.sessions import ACTOR, current_session

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
TRANSLATIONS = web.AppKey("translations", dict)
LANGUAGE_COOKIE = "bp_lang"
LANGUAGE = web.RequestKey("lang", str)
DEFAULT_TIMEZONE = "Europe/Amsterdam"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' https: data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _translations(context: Mapping[str, Any]) -> Any:
    return context["translations"]


@jinja2.pass_context
def _gettext(context: Mapping[str, Any], message: str) -> str:
    return str(_translations(context).gettext(message))


@jinja2.pass_context
def _ngettext(context: Mapping[str, Any], singular: str, plural: str, n: int) -> str:
    return str(_translations(context).ngettext(singular, plural, n))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


@jinja2.pass_context
def format_when(context: Mapping[str, Any], moment: datetime, timezone: str | None = None) -> str:
    """A date and time in the given zone (the neighbourhood's) and the reader's language."""
    return format_datetime(moment, "medium", tzinfo=zone(timezone), locale=context["lang"])


def post_html(content: str) -> Markup:
    return Markup(sanitise_html(content))  # noqa: S704 - sanitised by nh3 just before


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = format_when
    env.filters["post_html"] = post_html
    post_lists.install(env, app[SETTINGS].base_url)
    app[TRANSLATIONS] = load_translations()


def language_of(request: web.Request) -> str:
    session = current_session(request)
    lang = request.get(LANGUAGE) or choose_language(
        request.cookies.get(LANGUAGE_COOKIE),
        session.locale if session else None,
        request.headers.get("Accept-Language", ""),
    )
    request[LANGUAGE] = lang
    return lang


def current_actor_now(request: web.Request) -> object:
    return request.get(ACTOR)


def translate(request: web.Request, message: str) -> str:
    return str(request.app[TRANSLATIONS][language_of(request)].gettext(message))


def base_context(request: web.Request) -> dict[str, Any]:
    settings = request.app[SETTINGS]
    lang = language_of(request)
    session = current_session(request)
    return {
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "translations": request.app[TRANSLATIONS][lang],
        "instance_name": settings.name,
        "session": session,
        "is_admin": bool(session and session.is_admin),
        "me": current_actor_now(request),
        "csrf": csrf_token(request),
        "path": request.path_qs,
        "alternate": None,
        "feeds": [],
        "og": [],  # OpenGraph tags of a public page (server.web.opengraph)
        "notice": "",
    }


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    vary_accept: bool = False,
) -> web.Response:
    values = base_context(request)
    values.update(context or {})
    response = aiohttp_jinja2.render_template(template, request, values, status=status)
    response.headers.update(PAGE_HEADERS)
    response.headers["Content-Language"] = values["lang"]
    if vary_accept:
        response.headers["Vary"] = "Accept"
    return response


def render_error(request: web.Request, status: int, message: str, *, vary_accept: bool = False) -> web.Response:
    """An error page in the reader's language (`message` is an English msgid)."""
    return render(request, "error.html", {"status": status, "message": message}, status=status, vary_accept=vary_accept)


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location)
