"""Password-reset e-mails retried in the background: every process that runs workers
(`serve` with `workers` > 0, and `buurtplein worker`) tries again the reset e-mails whose
first attempt failed, when SMTP is configured (server.domain.password_mail.retry_reset_mails).

It looks every `smtp_retry_seconds` (at most every 30 seconds, at least every 0.1); the claim
in reset_mail_queue keeps two processes from sending one e-mail. A failing pass is logged
and the next one comes at the next check; stopping waits for the pass in progress.
"""

from __future__ import annotations

import asyncio
import logging

from server.config import Settings
from server.domain import password_mail
from server.storage.pool import Pool
from server.web.i18n import DEFAULT_LANGUAGE, Translations, load_translations

log = logging.getLogger(__name__)
MIN_CHECK_SECONDS = 0.1
MAX_CHECK_SECONDS = 30.0


def check_interval(settings: Settings) -> float:
    return min(max(settings.smtp_retry_seconds, MIN_CHECK_SECONDS), MAX_CHECK_SECONDS)


def gettext_of(catalogues: Translations) -> password_mail.GettextOf:
    def of(language: str) -> password_mail.Gettext:
        gettext: password_mail.Gettext = catalogues[language if language in catalogues else DEFAULT_LANGUAGE].gettext
        return gettext

    return of


async def run_reset_mail_retries(pool: Pool, settings: Settings, stop: asyncio.Event) -> None:
    """Retry queued reset e-mails until `stop` is set (nothing to do without SMTP)."""
    if not settings.mail_enabled:
        return
    catalogues = await asyncio.to_thread(load_translations)
    interval = check_interval(settings)
    while not stop.is_set():
        try:
            await password_mail.retry_reset_mails(pool, settings, gettext_of(catalogues))
        except Exception:
            log.exception("password reset e-mail retry pass failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
