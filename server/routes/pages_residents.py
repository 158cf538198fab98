"""A resident's own pages: home timeline, settings (profile, language, password, data
export, account deletion). The composer is server.routes.pages_compose."""

from __future__ import annotations

import html

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import accounts, profiles
from server.portability import export
from server.storage import account_admin as account_store
from server.storage import actors as actor_store
from server.storage import web_reads
from server.web.access import federating, require_account, require_resident
from server.web.forms import N_, Form, read_form
from server.web.i18n import LANGUAGES
from server.web.sessions import clear_session_cookie, current_session, set_cookie, set_session_cookie
from server.web.templating import LANGUAGE_COOKIE, redirect, render


def text_to_html(text: str) -> str:
    """Plain text as typed → paragraphs and line breaks, every character escaped."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


async def timeline(request: web.Request) -> web.Response:
    me = await require_resident(request)
    posts = await web_reads.home_timeline(request.app[POOL], me)
    return render(request, "timeline.html", {"posts": posts, "timezone": None})


async def settings_context(request: web.Request, **forms: Form) -> dict[str, object]:
    me = await require_resident(request)
    defaults: dict[str, object] = {
        "profile": Form(values={"name": me.name, "summary": html_to_text(me.summary)}),
        "password": Form(),
        "deletion": Form(),
        "pending_followers": await actor_store.count_pending_followers(request.app[POOL], me.id),
    }
    defaults.update(forms)
    return defaults


def html_to_text(summary: str) -> str:
    """Our own summaries are text_to_html output; turn them back for editing."""
    text = summary.replace("</p><p>", "\n\n").replace("<br>", "\n").removeprefix("<p>").removesuffix("</p>")
    return html.unescape(text)


async def settings_page(request: web.Request) -> web.Response:
    notice = request.query.get("saved", "")
    context = await settings_context(request)
    context["notice"] = N_("Saved.") if notice else ""
    return render(request, "settings.html", context)


async def save_profile(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("name", "summary"))
    form.limit("name", 100, "Use at most 100 characters.")
    form.limit("summary", 2000, "Use at most 2000 characters.")
    if not form.is_valid:
        return render(request, "settings.html", await settings_context(request, profile=form), status=400)
    await profiles.update_profile(
        federating(request), me, form.value("name").strip() or me.username, text_to_html(form.value("summary"))
    )
    raise redirect("/settings?saved=1")


async def remember_language(request: web.Request, language: str) -> None:
    session = current_session(request)
    if session is not None:
        await account_store.set_locale(request.app[POOL], session.account_id, language)


async def save_language(request: web.Request) -> web.Response:
    await require_resident(request)
    form = await read_form(request, ("language",))
    language = form.value("language")
    if language not in LANGUAGES:
        raise web.HTTPBadRequest(text="unknown language")
    await remember_language(request, language)
    response = redirect("/settings?saved=1")
    set_cookie(request, response, LANGUAGE_COOKIE, language, 60 * 60 * 24 * 365)
    raise response


async def change_password(request: web.Request) -> web.Response:
    account = await require_account(request)
    form = await read_form(request, ("current", "new"))
    if len(form.value("new")) < accounts.MIN_PASSWORD:
        form.fail("new", "The password must have at least 10 characters.")
    elif len(form.value("new")) > accounts.MAX_PASSWORD:
        form.fail("new", "This is too long.")
    elif not await accounts.change_password(request.app[POOL], account, form.value("current"), form.value("new")):
        form.fail("current", "This is not your current password.")
    if not form.is_valid:
        return render(request, "settings.html", await settings_context(request, password=form), status=400)
    session = await accounts.open_session(request.app[POOL], account.id)  # the others have ended
    response = redirect("/settings?saved=1")
    set_session_cookie(request, response, session.token, session.expires_at)
    raise response


async def export_data(request: web.Request) -> web.Response:
    """The resident's archive (server.portability.export) as a download."""
    me = await require_resident(request)
    archive = await export.export_resident(request.app[POOL], request.app[SETTINGS], me.username)
    disposition = f'attachment; filename="{me.username}-buurtplein-export.tar.gz"'
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
    return web.Response(body=archive, content_type="application/gzip", headers=headers)


async def delete_account(request: web.Request) -> web.Response:
    account = await require_account(request)
    form = await read_form(request, ("password",))
    if not await accounts.verify_password(account.password_hash, form.value("password")):
        form.fail("password", "This is not your current password.")
        return render(request, "settings.html", await settings_context(request, deletion=form), status=400)
    await accounts.delete_account(federating(request), account)
    response = redirect("/")
    clear_session_cookie(request, response)
    raise response


def setup(app: web.Application) -> None:
    app.router.add_get("/home", timeline)
    app.router.add_get("/settings", settings_page)
    app.router.add_post("/settings/profile", save_profile)
    app.router.add_post("/settings/language", save_language)
    app.router.add_post("/settings/password", change_password)
    app.router.add_post("/settings/delete", delete_account)
    app.router.add_post("/settings/export", export_data)
