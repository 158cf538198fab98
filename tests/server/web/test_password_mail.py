"""Password reset by e-mail through the pages, with a real SMTP dialogue on loopback: the
link arrives in the reader's language as plain text, works once, ends other sessions; the
answer never tells whether an account exists; without SMTP an administrator resets; a dead
SMTP server is logged and the page stays friendly."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from server.domain.actors import create_account
from tests.harness import Instance, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.smtp_receiver import smtp_receiver

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"
LINK_RE = re.compile(r"(http://\S+/password-reset\?token=[A-Za-z0-9_-]+)")
SENT_EN = "If an account with that user name or e-mail address exists"
SENT_NL = "Als er een account met die gebruikersnaam of dat e-mailadres bestaat"


def mail_settings(port: int, **more: Any) -> dict[str, Any]:
    return {
        "registration_mode": "closed",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_from": "buurtplein@buurt.test",
        "smtp_starttls": False,
        "smtp_timeout_seconds": 2.0,
        **more,
    }


async def test_reset_link_by_mail_sets_a_new_password_once_and_ends_sessions(
    make_instance: Callable[..., Any],
) -> None:
    async with (
        smtp_receiver() as smtp,
        make_instance(**mail_settings(smtp.port, name="Oost <b>\r\nBcc: evil@x.test")) as inst,
    ):
        await create_account(inst.pool, inst.settings, username="fenna", password=PASSWORD, email="fenna@mail.test")
        async with PageClient(inst) as laptop:
            assert await laptop.login("fenna") == 200
            async with PageClient(inst, language="nl") as phone:
                _, page = await phone.get("/login")
                assert 'href="/login/forgot"' in page
                status, page, _ = await phone.submit("/login/forgot", {"login": "FENNA@mail.test"})
                assert status == 200 and SENT_NL in page
                (received,) = await smtp.wait_for_messages(1)
                message = received.message
                assert received.recipients == ["fenna@mail.test"] and message["To"] == "fenna@mail.test"
                assert message.get_content_type() == "text/plain" and not message.is_multipart()
                assert message["Bcc"] is None and "evil" not in received.sender
                assert "Kies een nieuw wachtwoord" in message["Subject"]
                body = message.get_content()
                assert "Hallo fenna" in body and "<b>" in body and "\nBcc" not in body
                link = LINK_RE.search(body)
                assert link is not None, body
                token = link.group(1).split("token=")[1]
                row = await inst.pool.fetchrow("SELECT * FROM password_resets WHERE via = 'email'")
                assert row["token_hash"] == hashlib.sha256(token.encode()).digest()
                assert row["expires_at"] - row["created_at"] <= timedelta(hours=1, seconds=5)

                status, page = await phone.get(link.group(1))
                assert status == 200 and 'name="password"' in page
                status, _, _ = await phone.submit(
                    "/password-reset", {"token": token, "password": NEW_PASSWORD}, from_page=link.group(1)
                )
                assert status == 200  # the login page
                assert await phone.login("fenna", NEW_PASSWORD) == 200
                status, page, _ = await phone.submit(
                    "/password-reset", {"token": token, "password": "yet another one 3"}, from_page="/home"
                )
                assert status == 404
            _, page = await laptop.get("/settings")
            assert 'action="/login"' in page  # the other session ended
        async with PageClient(inst) as stranger:
            assert await stranger.login("fenna", PASSWORD) == 401


async def test_the_answer_is_the_same_whether_or_not_the_account_exists(make_instance: Callable[..., Any]) -> None:
    async with smtp_receiver() as smtp, make_instance(**mail_settings(smtp.port)) as inst:
        await create_account(inst.pool, inst.settings, username="gerrit", password=PASSWORD, email="g@mail.test")
        await create_account(inst.pool, inst.settings, username="zonder", password=PASSWORD)
        pages = []
        async with PageClient(inst) as browser:
            for name in ("niemand", "zonder", "gerrit"):
                status, page, _ = await browser.submit("/login/forgot", {"login": name})
                assert status == 200 and SENT_EN in page
                pages.append(_main(page))
        assert pages[0] == pages[1] == pages[2]
        (received,) = await smtp.wait_for_messages(1)
        assert received.recipients == ["g@mail.test"]
        assert await inst.pool.fetchval("SELECT count(*) FROM password_resets") == 1


async def test_mails_per_account_are_limited_and_only_the_newest_link_works(
    make_instance: Callable[..., Any],
) -> None:
    async with smtp_receiver() as smtp, make_instance(**mail_settings(smtp.port)) as inst:
        await create_account(inst.pool, inst.settings, username="hanna", password=PASSWORD, email="h@mail.test")
        async with PageClient(inst) as browser:
            for _ in range(4):
                status, page, _ = await browser.submit("/login/forgot", {"login": "hanna"})
                assert status == 200 and SENT_EN in page
        messages = await smtp.wait_for_messages(3)
        assert await inst.pool.fetchval("SELECT count(*) FROM password_resets WHERE via = 'email'") == 3
        links = [LINK_RE.search(m.message.get_content()) for m in messages]
        tokens = [link.group(1).split("token=")[1] for link in links if link]
        assert len(set(tokens)) == 3
        async with PageClient(inst) as browser:
            status, _ = await browser.get("/password-reset?token=" + tokens[0])
            assert status == 404
            usable = [t for t in tokens if (await browser.get("/password-reset?token=" + t))[0] == 200]
            assert len(usable) == 1


async def test_forgot_password_form_is_rate_limited_like_login(make_instance: Callable[..., Any]) -> None:
    async with make_instance(**mail_settings(9, auth_burst_per_ip=2, auth_rate_per_ip=1)) as inst:
        async with PageClient(inst) as browser:
            await browser.submit("/login", {"username": "x", "password": "wrong one here"})
            status, _, _ = await browser.submit("/login/forgot", {"login": "x"})
            assert status == 200
            status, _, _ = await browser.submit("/login/forgot", {"login": "x"})
            assert status == 429


async def test_without_smtp_there_is_no_link_and_the_page_points_to_an_admin(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        _, page = await browser.get("/login")
        assert "/login/forgot" not in page and "Ask an administrator" in page
        status, page = await browser.get("/login/forgot")
        assert status == 200 and "An administrator of this server can make a reset link" in page
        assert 'name="login"' not in page
        status, page, _ = await browser.submit("/login/forgot", {"login": "x"}, from_page="/login")
        assert status == 200 and "An administrator of this server can make a reset link" in page
    assert await open_instance.pool.fetchval("SELECT count(*) FROM password_resets") == 0


async def test_empty_field_is_an_error_next_to_it(make_instance: Callable[..., Any]) -> None:
    async with make_instance(**mail_settings(9)) as inst, PageClient(inst, language="nl") as browser:
        status, page, _ = await browser.submit("/login/forgot", {"login": "  "})
        assert status == 400 and 'aria-invalid="true"' in page and "Dit veld is verplicht." in page


@pytest.mark.parametrize("starttls", [False, True])
async def test_a_dead_smtp_server_is_logged_and_the_page_stays_friendly(
    make_instance: Callable[..., Any], caplog: pytest.LogCaptureFixture, starttls: bool
) -> None:
    """A server that accepts and never answers (times out), or one without STARTTLS when it
    is required: the error is logged without the secret link, the reader gets the usual page."""
    caplog.set_level(logging.INFO, logger="server.mail")
    async with (
        smtp_receiver(silent=not starttls) as smtp,
        make_instance(**mail_settings(smtp.port, smtp_timeout_seconds=0.5, smtp_starttls=starttls)) as inst,
    ):
        await create_account(inst.pool, inst.settings, username="ilse", password=PASSWORD, email="i@mail.test")
        async with PageClient(inst) as browser:
            status, page, _ = await browser.submit("/login/forgot", {"login": "ilse"})
            assert status == 200 and SENT_EN in page

        async def logged() -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == "server.mail" and r.levelno == logging.ERROR]

        (record,) = await wait_for(logged)
        assert record.getMessage() == "e-mail not sent"
        assert "token=" not in str(record.__dict__)
        assert smtp.messages == []


def _main(page: str) -> str:
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrf" value="[^"]+"', "", main)
