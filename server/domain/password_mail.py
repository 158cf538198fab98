"""Password reset by e-mail: a resident who forgot their password names their account (user
name or e-mail address) and gets a plain-text e-mail — in the account's saved language when
it has one, else in the language they asked in — with a single-use link valid for an hour
(the token is unguessable and only its SHA-256 is stored).

Whether the account exists is never revealed: the page answers the same either way and the
mail goes out in the background. At most `MAX_MAILS_PER_HOUR` e-mails per account an hour,
so the form cannot be used to flood someone's mailbox.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from server.config import Settings
from server.domain.accounts import hash_token, now
from server.mail import Mail
from server.storage import reset_mail as reset_store
from server.storage.pool import Pool

log = logging.getLogger(__name__)
MAIL_RESET_LIFETIME = timedelta(hours=1)
MAX_MAILS_PER_HOUR = 3
MAX_IDENTIFIER = 320
MAX_NAME_IN_MAIL = 100

Gettext = Callable[[str], str]
GettextFor = Callable[[str], Gettext]  # the account's saved language ('' for none) → its gettext


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


async def request_reset(pool: Pool, settings: Settings, identifier: str, gettext_for: GettextFor) -> list[Mail]:
    """The e-mails to send for a "forgot password" request (none when no active account with
    an e-mail address matches, or its hourly limit is reached); their tokens are stored.
    Each e-mail is written with `gettext_for(<the account's saved language>)`."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > MAX_IDENTIFIER or not settings.mail_enabled:
        return []
    mails = []
    for target in await reset_store.accounts_to_mail(pool, identifier):
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
        gettext = gettext_for(target.locale)
        mails.append(compose(settings, gettext, username=target.username, email=target.email, token=token))
    return mails
