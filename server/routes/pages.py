"""The web interface's wiring and its simplest pages: the instance home, the language
switch and the stylesheet. Further pages live in `pages_*.py` beside this module."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from server.appkeys import POOL
from server.routes import pages_actors, pages_admin, pages_auth, pages_events, pages_residents, pages_search
from server.storage import web_reads
from server.web.access import safe_next
from server.web.csrf import csrf_middleware
from server.web.forms import read_form
from server.web.i18n import LANGUAGES
from server.web.sessions import current_actor, session_middleware, set_cookie
from server.web.templating import LANGUAGE_COOKIE, redirect, render, setup_templates

STATIC = Path(__file__).resolve().parents[1] / "static"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365


async def home(request: web.Request) -> web.Response:
    await current_actor(request)
    neighbourhoods = await web_reads.list_neighbourhoods(request.app[POOL])
    extras = await pages_events.instance_extras(request)
    return render(request, "home.html", {"neighbourhoods": neighbourhoods, **extras})


async def switch_language(request: web.Request) -> web.Response:
    """The language switch in every page's header: a cookie (and, signed in, the account)."""
    form = await read_form(request, ("language", "next"))
    language = form.value("language")
    if language not in LANGUAGES:
        raise web.HTTPBadRequest(text="unknown language")
    response = redirect(safe_next(form.value("next")))
    set_cookie(request, response, LANGUAGE_COOKIE, language, LANGUAGE_COOKIE_AGE)
    await pages_residents.remember_language(request, language)
    raise response


def setup(app: web.Application) -> None:
    setup_templates(app)
    app.middlewares.extend([session_middleware, csrf_middleware])
    app.router.add_get("/", home)
    app.router.add_post("/language", switch_language)
    app.router.add_static("/static/", STATIC, append_version=False)
    for module in (pages_auth, pages_residents, pages_actors, pages_search, pages_admin):
        module.setup(app)
