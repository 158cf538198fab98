"""Instance administration beyond accounts: the registration mode (changed at run time,
stored in the database), domain blocks (suspend | limit), the allowlist of allowlist-only
federation, actor suspension, every open report and the instance's moderation log."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.config import REGISTRATION_MODES
from server.domain import moderation, registration
from server.domain.membership import NotAllowed
from server.routes.pages_organiser import actor_from_text
from server.storage import actors as actor_store
from server.storage import instance_policy, moderation_views
from server.storage.account_admin import AccountRow
from server.storage.actors import ActorRow
from server.storage.reported_posts import reported_posts
from server.web.access import federating, require_admin
from server.web.forms import N_, Form, read_form
from server.web.sessions import current_actor
from server.web.templating import redirect, render

MAX_DOMAIN = 253
MAX_REASON = 2000
DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


async def admin_actor(request: web.Request) -> tuple[AccountRow, ActorRow]:
    account = await require_admin(request)
    actor = await actor_store.actor_by_id(request.app[POOL], account.actor_id)
    if actor is None:
        raise web.HTTPForbidden(text="administrators only")
    return account, actor


async def federation_context(request: web.Request, **extra: Any) -> dict[str, Any]:
    pool = request.app[POOL]
    reports = await moderation_views.open_reports(pool, group_id=None)
    reader = await current_actor(request)
    context: dict[str, Any] = {
        "allowlist_only": request.app[SETTINGS].federation_allowlist_only,
        "blocks": await moderation_views.domain_blocks(pool),
        "allowed": await moderation_views.allowed_domains(pool),
        "suspended": await moderation_views.suspended_actors(pool),
        "reports": reports,
        "reported": await reported_posts(
            pool, [t for r in reports for t in r.target_ids], reader.id if reader else None
        ),
        "log": await moderation_views.log_entries(pool, group_id=None, limit=50),
        "block": Form(values={"severity": "suspend"}),
        "allow": Form(),
        "suspend": Form(),
    }
    context.update(extra)
    return context


async def federation_page(request: web.Request) -> web.Response:
    await admin_actor(request)
    return render(request, "instance_admin_federation.html", await federation_context(request))


def clean_domain(form: Form, name: str = "domain") -> str:
    domain = form.require(name).lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if domain and (len(domain) > MAX_DOMAIN or not set(domain) <= DOMAIN_CHARS or "." not in domain.strip(".")):
        form.fail(name, N_("Enter a domain name, like example.social."))
    return domain


async def block_domain(request: web.Request) -> web.Response:
    _, admin = await admin_actor(request)
    form = await read_form(request, ("domain", "severity", "reason"))
    domain = clean_domain(form)
    if form.value("severity") not in instance_policy.SEVERITIES:
        form.fail("severity", N_("Choose one of the options."))
    form.limit("reason", MAX_REASON)
    if domain == request.app[SETTINGS].domain.lower():
        form.fail("domain", N_("This is our own domain."))
    if not form.is_valid:
        return render(
            request, "instance_admin_federation.html", await federation_context(request, block=form), status=400
        )
    await moderation.block_domain(federating(request), admin, domain, form.value("severity"), form.value("reason"))
    raise redirect("/admin/federation")


async def unblock_domain(request: web.Request) -> web.Response:
    _, admin = await admin_actor(request)
    form = await read_form(request, ("domain",))
    domain = form.value("domain")[:MAX_DOMAIN]
    if await moderation_views.remove_domain_block(request.app[POOL], domain):
        await instance_policy.log_action(request.app[POOL], admin.id, "domain_unblock", domain.lower())
        federating(request).remote.domain_policy_changed()
    raise redirect("/admin/federation")


async def allow_domain(request: web.Request) -> web.Response:
    _, admin = await admin_actor(request)
    form = await read_form(request, ("allowed_domain", "allow_note", "remove"))
    domain = clean_domain(form, "allowed_domain")
    form.limit("allow_note", 200)
    if not form.is_valid:
        return render(
            request, "instance_admin_federation.html", await federation_context(request, allow=form), status=400
        )
    allowed = form.value("remove") != "1"
    await moderation.set_domain_allowed(federating(request), admin, domain, allowed, form.value("allow_note"))
    raise redirect("/admin/federation")


async def suspend_actor(request: web.Request) -> web.Response:
    _, admin = await admin_actor(request)
    form = await read_form(request, ("handle", "suspend_reason", "lift"))
    handle = form.require("handle", N_("Enter a user name or a handle, like alex@example.social."))
    form.limit("suspend_reason", MAX_REASON)
    target = await actor_from_text(request, handle) if handle else None
    if handle and target is None:
        form.fail("handle", N_("We could not find this person."))
    if target is not None and target.id == admin.id:
        form.fail("handle", N_("You cannot suspend yourself."))
    if target is None or not form.is_valid:
        context = await federation_context(request, suspend=form)
        return render(request, "instance_admin_federation.html", context, status=400)
    try:
        await moderation.suspend_actor(
            federating(request), admin, target, suspended=form.value("lift") != "1", reason=form.value("suspend_reason")
        )
    except NotAllowed:
        raise web.HTTPForbidden(text="administrators only") from None
    raise redirect("/admin/federation")


async def resolve_report(request: web.Request) -> web.Response:
    _, admin = await admin_actor(request)
    form = await read_form(request, ("report",))
    if not form.value("report").isdigit():
        raise web.HTTPBadRequest(text="which report?")
    found = await moderation_views.resolve_report(request.app[POOL], int(form.value("report")), admin.id, group_id=None)
    if found is None:
        raise web.HTTPNotFound(text="no such open report")
    await instance_policy.log_action(request.app[POOL], admin.id, "resolve_report", found)
    raise redirect("/admin/federation")


async def set_registration_mode(request: web.Request) -> web.Response:
    account, _ = await admin_actor(request)
    form = await read_form(request, ("mode",))
    if form.value("mode") not in REGISTRATION_MODES:
        raise web.HTTPBadRequest(text="unknown registration mode")
    await registration.set_registration_mode(request.app[POOL], account, form.value("mode"))
    raise redirect("/admin?mode=saved")


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/federation", federation_page)
    app.router.add_post("/admin/domain-blocks", block_domain)
    app.router.add_post("/admin/domain-blocks/remove", unblock_domain)
    app.router.add_post("/admin/allowlist", allow_domain)
    app.router.add_post("/admin/suspensions", suspend_actor)
    app.router.add_post("/admin/reports/resolve", resolve_report)
    app.router.add_post("/admin/registration-mode", set_registration_mode)
