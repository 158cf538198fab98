"""The "forgot password" pages (/login/forgot): a resident names their account and gets a
reset link by e-mail (server.domain.password_mail; sent at once, retried in the background
when the SMTP server fails) when SMTP is configured; otherwise the page says that an
administrator can make a reset link. Under /login, so the login rate limit of the
rate-limit middleware covers the form."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain import password_mail
from server.mail import MAIL_SENDER
from server.web.forms import Form, read_form
from server.web.templating import TRANSLATIONS, language_of, render


async def forgot_page(request: web.Request) -> web.Response:
    context = {"form": Form(), "sent": False, "mail_enabled": request.app[SETTINGS].mail_enabled}
    return render(request, "forgot_password.html", context)


async def forgot(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    form = await read_form(request, ("login",))
    context: dict[str, object] = {"form": form, "sent": False, "mail_enabled": settings.mail_enabled}
    if not settings.mail_enabled:
        return render(request, "forgot_password.html", context)
    identifier = form.require("login")
    form.limit("login", password_mail.MAX_IDENTIFIER)
    if not form.is_valid:
        return render(request, "forgot_password.html", context, status=400)
    catalogues = request.app[TRANSLATIONS]
    asked = language_of(request)

    def language_for(saved: str) -> str:
        """The account's saved language when it has one we speak, else the request's."""
        return saved if saved in catalogues else asked

    def gettext_of(language: str) -> password_mail.Gettext:
        gettext: password_mail.Gettext = catalogues[language].gettext
        return gettext

    pool = request.app[POOL]
    mails = await password_mail.request_reset(pool, settings, identifier, language_for, gettext_of)
    sender = request.app[MAIL_SENDER]
    for reset in mails:
        sender.submit(reset.mail, "password reset", partial(password_mail.mail_sent, pool, reset.queue_id))
    context["sent"] = True  # the same answer whether or not an account matched
    return render(request, "forgot_password.html", context)


def setup(app: web.Application) -> None:
    app.router.add_get("/login/forgot", forgot_page)
    app.router.add_post("/login/forgot", forgot)
