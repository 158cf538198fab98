"""Administration: the registration mode, accounts waiting for approval, invitations (made
and revoked) and password reset links."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import accounts, registration
from server.storage import account_admin as account_store
from server.web.access import require_admin
from server.web.forms import N_, Form, read_form
from server.web.templating import redirect, render

MODE_LABELS = {
    "open": N_("Open: anyone can register"),
    "approval": N_("Approval: an administrator approves each new account"),
    "invitation": N_("Invitation: only with an invitation code"),
    "closed": N_("Closed: nobody can register"),
}

NOTICES = {"revoked": N_("The invitation is revoked: its code no longer works.")}


async def admin_context(request: web.Request, **extra: object) -> dict[str, object]:
    pool = request.app[POOL]
    context: dict[str, object] = {
        "mode": (mode := await registration.registration_mode(pool, request.app[SETTINGS])),
        "mode_label": MODE_LABELS[mode],
        "mode_labels": MODE_LABELS,
        "notice": NOTICES.get(request.query.get("done", ""), "")
        or (N_("The registration mode is saved.") if request.query.get("mode") == "saved" else ""),
        "pending": await account_store.accounts_in_state(pool, "pending"),
        "invitations": await account_store.list_invitations(pool),
        "invite": Form(),
        "reset": Form(),
        "new_code": "",
        "reset_link": "",
    }
    context.update(extra)
    return context


async def admin_page(request: web.Request) -> web.Response:
    await require_admin(request)
    return render(request, "admin.html", await admin_context(request))


async def approve(request: web.Request) -> web.Response:
    await require_admin(request)
    form = await read_form(request, ("account",))
    if form.value("account").isdigit():
        await account_store.set_state(request.app[POOL], int(form.value("account")), "active")
    raise redirect("/admin")


async def invite(request: web.Request) -> web.Response:
    admin = await require_admin(request)
    form = await read_form(request, ("note",))
    note = form.limit("note", 200, "Use at most 200 characters.")
    if not form.is_valid:
        return render(request, "admin.html", await admin_context(request, invite=form), status=400)
    code = await accounts.create_invitation(request.app[POOL], admin, note)
    return render(request, "admin.html", await admin_context(request, new_code=code))


async def revoke(request: web.Request) -> web.Response:
    """Revoke an invitation that has not been used: its code no longer registers anyone."""
    await require_admin(request)
    form = await read_form(request, ("invitation",))
    if form.value("invitation").isdigit():
        await account_store.revoke_invitation(request.app[POOL], int(form.value("invitation")))
    raise redirect("/admin?done=revoked")


async def password_reset(request: web.Request) -> web.Response:
    await require_admin(request)
    form = await read_form(request, ("username",))
    username = form.require("username")
    account = await account_store.account_by_username(request.app[POOL], username[:100]) if username else None
    if username and account is None:
        form.fail("username", "There is no account with this user name.")
    if account is None:
        return render(request, "admin.html", await admin_context(request, reset=form), status=400)
    token = await accounts.create_password_reset(request.app[POOL], account.id)
    link = f"{request.app[SETTINGS].base_url}/password-reset?token={token}"
    return render(request, "admin.html", await admin_context(request, reset_link=link))


def setup(app: web.Application) -> None:
    app.router.add_get("/admin", admin_page)
    app.router.add_post("/admin/approve", approve)
    app.router.add_post("/admin/invitations", invite)
    app.router.add_post("/admin/invitations/revoke", revoke)
    app.router.add_post("/admin/password-reset", password_reset)
