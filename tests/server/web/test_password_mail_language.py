"""The password-reset e-mail is written in the account's saved language when it has one
(chosen with the language switch while signed in), else in the language of the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.domain.actors import create_account
from tests.server.web.browser_client import PageClient
from tests.server.web.smtp_receiver import smtp_receiver
from tests.server.web.test_password_mail import PASSWORD, SENT_EN, SENT_NL, mail_settings

SUBJECT_EN = "Choose a new password for"
SUBJECT_NL = "Kies een nieuw wachtwoord voor"


async def test_the_mail_follows_the_saved_language_else_the_request(make_instance: Callable[..., Any]) -> None:
    async with smtp_receiver() as smtp, make_instance(**mail_settings(smtp.port)) as inst:
        await create_account(inst.pool, inst.settings, username="ilse", password=PASSWORD, email="ilse@mail.test")
        await create_account(inst.pool, inst.settings, username="joost", password=PASSWORD, email="joost@mail.test")
        async with PageClient(inst, language="nl") as browser:  # ilse saves English while signed in
            assert await browser.login("ilse") == 200
            status, _, _ = await browser.submit("/language", {"language": "en", "next": "/home"}, from_page="/home")
            assert status == 200
        assert (
            await inst.pool.fetchval(
                "SELECT a.locale FROM accounts a JOIN actors ac ON ac.id = a.actor_id WHERE ac.username = 'ilse'"
            )
            == "en"
        )

        async with PageClient(inst, language="nl") as stranger:  # asked in Dutch, no cookie
            status, page, _ = await stranger.submit("/login/forgot", {"login": "ilse"})
            assert status == 200 and SENT_NL in page  # the page speaks the reader's language
            (to_ilse,) = await smtp.wait_for_messages(1)
            status, page, _ = await stranger.submit("/login/forgot", {"login": "joost"})
            assert status == 200 and SENT_NL in page
            _, to_joost = await smtp.wait_for_messages(2)
        async with PageClient(inst, language="en") as stranger:  # asked in English
            status, page, _ = await stranger.submit("/login/forgot", {"login": "joost"})
            assert status == 200 and SENT_EN in page
            *_, to_joost_en = await smtp.wait_for_messages(3)

        assert to_ilse.recipients == ["ilse@mail.test"]
        assert to_ilse.message["Subject"].startswith(SUBJECT_EN)
        assert to_ilse.message.get_content().startswith("Hello ilse,")
        # joost saved no language: the mail speaks the language of the request
        assert to_joost.recipients == ["joost@mail.test"]
        assert to_joost.message["Subject"].startswith(SUBJECT_NL)
        assert to_joost.message.get_content().startswith("Hallo joost,")
        assert to_joost_en.message["Subject"].startswith(SUBJECT_EN)
