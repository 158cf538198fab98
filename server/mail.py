"""Sending e-mail: plain-text messages over SMTP (the standard library's smtplib, run in a
thread with a timeout), optionally with STARTTLS and authentication, as configured by the
`smtp_*` settings; and the background sender the web pages hand messages to.

A message is always `text/plain; charset=utf-8`: no HTML, nothing active. Failures never
reach the reader: the sender logs them (without the message body, which may hold a secret
link) and the page that asked has already answered.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from aiohttp import web

from server.appkeys import SETTINGS
from server.config import Settings

log = logging.getLogger(__name__)
MAX_SUBJECT = 200


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def _one_line(text: str) -> str:
    """No control characters or line breaks in a header (nothing can start another one)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    """The RFC 5322 message: plain text only, headers free of line breaks."""
    message = EmailMessage()
    message["From"] = Address(display_name=_one_line(settings.name)[:100], addr_spec=settings.smtp_from)
    message["To"] = mail.to
    message["Subject"] = _one_line(mail.subject)[:MAX_SUBJECT]
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body, subtype="plain", charset="utf-8")
    return message


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    timeout = settings.smtp_timeout_seconds
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


def send_time_limit(settings: Settings) -> float:
    """The longest one attempt to send may take (seconds)."""
    return settings.smtp_timeout_seconds * 6


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Send one message; raises MailError when SMTP is not configured or the server fails."""
    if not settings.mail_enabled:
        raise MailError("no SMTP server is configured")
    message = build_message(settings, mail)
    # smtplib applies the timeout to each socket operation; the outer bound stops a server
    # that trickles bytes forever (the thread ends at its next timeout).
    try:
        await asyncio.wait_for(asyncio.to_thread(_send_blocking, settings, message), send_time_limit(settings))
    except (OSError, smtplib.SMTPException, TimeoutError, ssl.SSLError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc


@dataclass
class MailSender:
    """Sends messages in the background, so a page answers at once (and equally fast
    whether or not it queued a message); a failure is logged as an error. `on_sent` runs
    after a message went out (a queued message is then taken off its queue)."""

    settings: Settings
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def submit(self, mail: Mail, purpose: str, on_sent: Callable[[], Awaitable[None]] | None = None) -> None:
        task = asyncio.create_task(self._send(mail, purpose, on_sent))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, mail: Mail, purpose: str, on_sent: Callable[[], Awaitable[None]] | None) -> None:
        try:
            await send_mail(self.settings, mail)
        except MailError as exc:
            log.error("e-mail not sent", extra={"purpose": purpose, "error": str(exc)[:300]})
            return
        log.info("e-mail sent", extra={"purpose": purpose})
        if on_sent is not None:
            try:
                await on_sent()
            except Exception:
                log.exception("e-mail sent, but recording it failed", extra={"purpose": purpose})

    async def drain(self) -> None:
        """Wait for messages in flight (at shutdown)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


MAIL_SENDER = web.AppKey("mail_sender", MailSender)


async def _sender(app: web.Application) -> AsyncIterator[None]:
    sender = MailSender(app[SETTINGS])
    app[MAIL_SENDER] = sender
    yield
    await sender.drain()


def setup(app: web.Application) -> None:
    app.cleanup_ctx.append(_sender)
