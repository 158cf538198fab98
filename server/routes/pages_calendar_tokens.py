"""A resident's private "my events" calendar on the web (/settings/calendar): issue an
address (https and webcal), shown once right after it is made, and revoke it — the old
address answers 404 from then on. Only the token's SHA-256 is stored
(server.domain.calendar_feeds), so a lost address cannot be shown again: issue a new one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.calendar_feeds import issue_calendar_token, revoke_calendar_token
from server.storage import calendar_tokens as token_store
from server.urls import Urls
from server.web.access import require_resident
from server.web.forms import N_, Form, read_form
from server.web.templating import redirect, render

MAX_LABEL = 100
MAX_LIVE_TOKENS = 10
NOTICES = {"revoked": N_("The address is revoked. Calendar apps that use it get nothing more.")}


async def _page(
    request: web.Request, actor_id: int, form: Form, *, issued: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    tokens = [t for t in await token_store.tokens_of(request.app[POOL], actor_id) if t.revoked_at is None]
    notice = NOTICES.get(next((k for k in NOTICES if k in request.query), ""), "") if status == 200 else ""
    context: dict[str, Any] = {"tokens": tokens, "form": form, "issued": issued, "notice": notice}
    response = render(request, "calendar_tokens.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def tokens_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    return await _page(request, me.id, Form())


async def issue(request: web.Request) -> web.Response:
    me = await require_resident(request)
    pool = request.app[POOL]
    form = await read_form(request, ("label",))
    form.limit("label", MAX_LABEL, N_("Use at most 100 characters."))
    live = [t for t in await token_store.tokens_of(pool, me.id) if t.revoked_at is None]
    if len(live) >= MAX_LIVE_TOKENS:
        form.fail("label", N_("You have 10 calendar addresses already. Revoke one first."))
    if not form.is_valid:
        return await _page(request, me.id, form, status=400)
    token, _ = await issue_calendar_token(pool, me.id, form.value("label").strip())
    https = Urls(request.app[SETTINGS]).calendar("my/" + token)
    issued = {"https": https, "webcal": Urls(request.app[SETTINGS]).webcal(https)}
    return await _page(request, me.id, Form(), issued=issued)


async def revoke(request: web.Request) -> web.Response:
    me = await require_resident(request)
    text = request.match_info["token"]
    if not text.isdigit() or len(text) > 18 or not await revoke_calendar_token(request.app[POOL], me.id, int(text)):
        raise web.HTTPNotFound(text="no such calendar address")
    raise redirect("/settings/calendar?revoked=1")


def setup(app: web.Application) -> None:
    app.router.add_get("/settings/calendar", tokens_page)
    app.router.add_post("/settings/calendar", issue)
    app.router.add_post("/settings/calendar/{token}/revoke", revoke)
