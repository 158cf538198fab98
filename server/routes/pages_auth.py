"""Login, logout, registration and password reset pages."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import accounts, registration
from server.domain.actors import InvalidName, NameTaken
from server.routes.ratelimit_middleware import request_client
from server.web.access import federating, safe_next
from server.web.forms import N_, Form, read_form
from server.web.sessions import clear_session_cookie, session_token, set_session_cookie
from server.web.templating import redirect, render, render_error

MAX_NAME = 100


def login_context(request: web.Request, form: Form, message: str) -> dict[str, object]:
    """What the login page shows; the "forgot password" link only when e-mail can be sent."""
    return {"form": form, "message": message, "mail_enabled": request.app[SETTINGS].mail_enabled}


async def login_page(request: web.Request) -> web.Response:
    form = Form(values={"next": safe_next(request.query.get("next", ""), "/home")})
    return render(request, "login.html", login_context(request, form, ""))


async def login(request: web.Request) -> web.Response:
    form = await read_form(request, ("username", "password", "next"))
    username = form.require("username")[:MAX_NAME]
    password = form.value("password")
    if not password:
        form.fail("password", "This field is required.")
    if not form.is_valid:
        return render(request, "login.html", login_context(request, form, ""), status=400)
    pool = request.app[POOL]
    try:
        client = request_client(request, request.app[SETTINGS].trusted_proxies) or "unknown"
        result = await accounts.login(pool, username, password, client)
    except accounts.TooManyAttempts:
        message = N_("Too many failed attempts. Wait a quarter of an hour and try again.")
        return render(request, "login.html", login_context(request, form, message), status=429)
    if result.account is None:
        message = (
            N_("Your account is waiting for approval.")
            if result.pending
            else N_("That user name and password do not match.")
        )
        return render(request, "login.html", login_context(request, form, message), status=401)
    session = await accounts.open_session(pool, result.account.id)
    response = redirect(safe_next(form.value("next"), "/home"))
    set_session_cookie(request, response, session.token, session.expires_at)
    raise response


async def logout(request: web.Request) -> web.Response:
    token = session_token(request)
    if token:
        await accounts.close_session(request.app[POOL], token)
    response = redirect("/")
    clear_session_cookie(request, response)
    raise response


async def registration_mode(request: web.Request) -> str:
    """The mode in force: an admin's run-time choice, else the configured default."""
    return await registration.registration_mode(request.app[POOL], request.app[SETTINGS])


async def register_page(request: web.Request) -> web.Response:
    form = Form(values={"invitation": request.query.get("invitation", "")[:100]})
    return render(request, "register.html", {"form": form, "mode": await registration_mode(request)})


REGISTER_FIELDS = ("username", "email", "password", "password2", "invitation")


def validate_registration(form: Form, mode: str) -> None:
    form.require("username")
    form.limit("username", 30, "Use at most 30 characters.")
    email = form.limit("email", 320).strip()
    if email and ("@" not in email or " " in email):
        form.fail("email", "This is not an e-mail address.")
    password = form.value("password")
    if len(password) < accounts.MIN_PASSWORD:
        form.fail("password", "The password must have at least 10 characters.")
    elif len(password) > accounts.MAX_PASSWORD:
        form.fail("password", "This is too long.")
    if form.value("password2") != password:
        form.fail("password2", "The two passwords are not the same.")
    if mode == "invitation":
        form.require("invitation")


async def register(request: web.Request) -> web.Response:
    mode = await registration_mode(request)
    form = await read_form(request, REGISTER_FIELDS)
    context = {"form": form, "mode": mode}
    if mode == "closed":
        return render(request, "register.html", context, status=403)
    validate_registration(form, mode)
    if not form.is_valid:
        return render(request, "register.html", context, status=400)
    fed = federating(request)
    try:
        account = await accounts.register(
            fed.pool,
            fed,
            mode=mode,
            username=form.value("username"),
            password=form.value("password"),
            email=form.value("email").strip(),
            invitation=form.value("invitation"),
        )
    except InvalidName:
        form.fail("username", "Use 1 to 30 lower-case letters, digits, '_', '.' or '-'; some names are reserved.")
    except NameTaken:
        form.fail("username", "This user name is taken.")
    except accounts.BadInvitation:
        form.fail("invitation", "This invitation code is unknown, used or expired.")
    except accounts.RegistrationClosed:
        return render(request, "register.html", context, status=403)
    if form.errors:
        return render(request, "register.html", context, status=400)
    if account.state != "active":
        return render(request, "registered.html", {})
    session = await accounts.open_session(fed.pool, account.id)
    response = redirect("/home")
    set_session_cookie(request, response, session.token, session.expires_at)
    raise response


async def reset_page(request: web.Request) -> web.Response:
    token = request.query.get("token", "")[:100]
    if not await accounts.is_reset_usable(request.app[POOL], token):
        return render_error(request, 404, "This reset link is unknown, used or expired.")
    return render(request, "reset.html", {"form": Form(values={"token": token})})


async def reset(request: web.Request) -> web.Response:
    form = await read_form(request, ("token", "password"))
    if len(form.value("password")) < accounts.MIN_PASSWORD:
        form.fail("password", "The password must have at least 10 characters.")
        return render(request, "reset.html", {"form": form}, status=400)
    try:
        done = await accounts.reset_password(request.app[POOL], form.value("token")[:100], form.value("password"))
    except accounts.BadPassword:
        form.fail("password", "This is too long.")
        return render(request, "reset.html", {"form": form}, status=400)
    if not done:
        return render_error(request, 404, "This reset link is unknown, used or expired.")
    raise redirect("/login")


def setup(app: web.Application) -> None:
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/register", register_page)
    app.router.add_post("/register", register)
    app.router.add_get("/password-reset", reset_page)
    app.router.add_post("/password-reset", reset)
