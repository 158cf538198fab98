"""Password reset by e-mail: a resident who forgot their password names their account (user
name or e-mail address) and gets a plain-text e-mail — in the account's saved language when
it has one, else in the language they asked in — with a single-use link valid for an hour
(the token is unguessable and only its SHA-256 is stored).

Whether the account exists is never revealed: the page answers the same either way and the
mail goes out in the background. At most `MAX_MAILS_PER_HOUR` e-mails per account an hour,
so the form cannot be used to flood someone's mailbox.

Each e-mail is queued (`reset_mail_queue`) with the token and sent at once; when the SMTP
server fails, the processes that run workers try again after `smtp_retry_seconds` × 1, 5,
15 and 30 (`retry_reset_mails`), at most `MAX_ATTEMPTS` times in all and never after the
token expired or was used. The queue holds no token: each retry gives the reset a fresh
token (an earlier e-mail that did arrive after all stops working) and writes the e-mail again.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from server.config import Settings
from server.domain.accounts import hash_token, now
from server.mail import Mail, MailError, send_mail, send_time_limit
from server.storage import reset_mail as reset_store
from server.storage.pool import Pool

log = logging.getLogger(__name__)
MAIL_RESET_LIFETIME = timedelta(hours=1)
MAX_MAILS_PER_HOUR = 3
MAX_IDENTIFIER = 320
MAX_NAME_IN_MAIL = 100
MAX_ATTEMPTS = 5  # the first one and four retries
RETRY_FACTORS = (1, 5, 15, 30)  # × smtp_retry_seconds after the 1st, 2nd, 3rd and 4th attempt
RETRIES_PER_PASS = 20

Gettext = Callable[[str], str]
LanguageFor = Callable[[str], str]  # the account's saved language ('' for none) → the mail's language
GettextOf = Callable[[str], Gettext]  # a language → its gettext
Sender = Callable[[Settings, Mail], Awaitable[None]]


@dataclass(frozen=True)
class ResetMail:
    mail: Mail
    queue_id: int  # its row in reset_mail_queue, deleted once sent


def retry_delays(settings: Settings) -> list[float]:
    """Seconds to wait after each attempt; never shorter than one attempt may take, so a
    retry does not start while a slow first attempt is still under way."""
    return [max(settings.smtp_retry_seconds * factor, send_time_limit(settings) + 1.0) for factor in RETRY_FACTORS]


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated when the mail is written."""
    return message


SUBJECT = N_("Choose a new password for %(site)s")
BODY = (
    N_("Hello %(name)s,"),
    "",
    N_("Someone, hopefully you, asked to choose a new password for the account %(handle)s on %(site)s."),
    N_("Open this link within an hour to choose a new password. The link works once:"),
    "",
    "%(link)s",
    "",
    N_("Did you not ask for this? Then you can ignore this e-mail: your password stays as it is."),
)


def plain_line(text: str, longest: int = MAX_NAME_IN_MAIL) -> str:
    """Text safe on one line of a plain-text e-mail: no control characters or line breaks
    (nothing that starts a new line or a header), whitespace collapsed, length capped."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(cleaned.split())[:longest]


def reset_link(settings: Settings, token: str) -> str:
    return f"{settings.base_url}/password-reset?token={token}"


def compose(settings: Settings, gettext: Gettext, *, username: str, email: str, token: str) -> Mail:
    values = {
        "name": plain_line(username),
        "handle": plain_line(f"{username}@{settings.host}"),
        "site": plain_line(settings.name),
        "link": reset_link(settings, token),
    }
    lines = [gettext(line) % values if line else "" for line in BODY]
    return Mail(to=email, subject=gettext(SUBJECT) % values, body="\n".join(lines) + "\n")


async def request_reset(
    pool: Pool, settings: Settings, identifier: str, language_for: LanguageFor, gettext_of: GettextOf
) -> list[ResetMail]:
    """The e-mails to send for a "forgot password" request (none when no active account with
    an e-mail address matches, or its hourly limit is reached); their tokens are stored and
    the e-mails queued. Each is written in `language_for(<the account's saved language>)`."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > MAX_IDENTIFIER or not settings.mail_enabled:
        return []
    mails = []
    first_retry = timedelta(seconds=retry_delays(settings)[0])
    for target in await reset_store.accounts_to_mail(pool, identifier):
        language = language_for(target.locale)
        async with pool.acquire() as conn, conn.transaction():
            # one request at a time per account, so the hourly count holds under races
            await reset_store.lock_account(conn, target.account_id)
            if await reset_store.mailed_resets_since(conn, target.account_id, now() - timedelta(hours=1)) >= (
                MAX_MAILS_PER_HOUR
            ):
                log.info("password reset e-mail limit reached", extra={"account": target.account_id})
                continue
            token = secrets.token_urlsafe(32)
            await reset_store.insert_mailed_reset(
                conn, hash_token(token), target.account_id, now() + MAIL_RESET_LIFETIME
            )
            queue_id = await reset_store.queue_reset_mail(conn, hash_token(token), language, now() + first_retry)
        mail = compose(settings, gettext_of(language), username=target.username, email=target.email, token=token)
        mails.append(ResetMail(mail, queue_id))
    return mails


async def mail_sent(pool: Pool, queue_id: int) -> None:
    """The first attempt worked: nothing left to retry."""
    await reset_store.unqueue_reset_mail(pool, queue_id)


async def retry_reset_mails(pool: Pool, settings: Settings, gettext_of: GettextOf, send: Sender = send_mail) -> int:
    """One pass of the retries: give up what may no longer be sent (logged), then try the
    due e-mails again, each with a fresh token. Returns how many were sent."""
    for dropped in await reset_store.drop_dead_reset_mails(pool, MAX_ATTEMPTS):
        _log_given_up(dropped.account_id, dropped.attempts, dropped.reason)
    delays = retry_delays(settings)
    sent = 0
    for queued in await reset_store.claim_reset_mails(pool, delays, MAX_ATTEMPTS, RETRIES_PER_PASS):
        token = secrets.token_urlsafe(32)
        target = await reset_store.renew_mailed_token(pool, queued.token_hash, hash_token(token))
        if target is None:  # used or expired meanwhile, or the account can no longer get mail
            await reset_store.unqueue_reset_mail(pool, queued.id)
            log.info("password reset e-mail dropped: the link or the account changed", extra={"queued": queued.id})
            continue
        mail = compose(settings, gettext_of(queued.language), username=target.username, email=target.email, token=token)
        try:
            await send(settings, mail)
        except MailError as exc:
            next_at = now() + timedelta(seconds=delays[min(queued.attempts, len(delays)) - 1])
            if queued.attempts >= MAX_ATTEMPTS or next_at >= queued.expires_at:
                await reset_store.unqueue_reset_mail(pool, queued.id)
                reason = "attempts" if queued.attempts >= MAX_ATTEMPTS else "expires"
                _log_given_up(target.account_id, queued.attempts, reason, str(exc))
            else:
                log.warning(
                    "password reset e-mail not sent; trying again later",
                    extra={"account": target.account_id, "attempts": queued.attempts, "error": str(exc)[:300]},
                )
            continue
        await reset_store.unqueue_reset_mail(pool, queued.id)
        log.info("password reset e-mail sent", extra={"account": target.account_id, "attempts": queued.attempts})
        sent += 1
    return sent


def _log_given_up(account_id: int, attempts: int, reason: str, error: str = "") -> None:
    log.error(
        "password reset e-mail given up",
        extra={"account": account_id, "attempts": attempts, "reason": reason, "error": error[:300]},
    )
