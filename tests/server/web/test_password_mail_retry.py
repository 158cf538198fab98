"""Password-reset e-mails are queued and retried, with a real SMTP dialogue on loopback: an
e-mail whose first attempt fails (no server listening, or one refusing) is sent later by the
background retry, with a fresh token that works; the queue never holds a token; an expired
link is not sent; the attempts are bounded and giving up is logged; the page answers the
same throughout."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

import pytest

from server.domain.actors import create_account
from server.domain.password_mail import MAX_ATTEMPTS, retry_delays
from tests.harness import Instance, free_port, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.smtp_receiver import smtp_receiver
from tests.server.web.test_password_mail import LINK_RE, PASSWORD, SENT_EN, _main, mail_settings

FAST = {"smtp_retry_seconds": 0.1, "smtp_timeout_seconds": 0.2}


async def _queue(inst: Instance) -> list[dict[str, Any]]:
    return [dict(r) for r in await inst.pool.fetch("SELECT * FROM reset_mail_queue")]


def _logged(caplog: pytest.LogCaptureFixture, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == message]


async def _ask(inst: Instance, login: str) -> str:
    async with PageClient(inst) as browser:
        status, page, _ = await browser.submit("/login/forgot", {"login": login})
        assert status == 200 and SENT_EN in page
        return _main(page)


async def test_a_mail_sent_at_once_leaves_nothing_queued(make_instance: Callable[..., Any]) -> None:
    async with smtp_receiver() as smtp, make_instance(**mail_settings(smtp.port, **FAST)) as inst:
        await create_account(inst.pool, inst.settings, username="anne", password=PASSWORD, email="a@mail.test")
        await _ask(inst, "anne")
        await smtp.wait_for_messages(1)

        async def unqueued() -> bool:
            return await _queue(inst) == []

        assert await wait_for(unqueued)
        assert smtp.connections == 1


async def test_a_failed_first_attempt_is_sent_later_with_a_working_link(
    make_instance: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="server")
    port = free_port("127.0.0.1")  # no SMTP server there yet
    async with make_instance(**mail_settings(port, **FAST)) as inst:
        await create_account(inst.pool, inst.settings, username="bram", password=PASSWORD, email="b@mail.test")
        assert await _ask(inst, "bram") == await _ask(inst, "niemand")

        async def first_failed() -> list[logging.LogRecord]:
            return _logged(caplog, "e-mail not sent")

        await wait_for(first_failed)
        (queued,) = await _queue(inst)
        reset = await inst.pool.fetchrow("SELECT * FROM password_resets WHERE via = 'email'")
        assert queued["attempts"] == 1 and queued["token_hash"] == reset["token_hash"]
        assert queued["language"] == "en"
        assert set(queued) == {"id", "token_hash", "language", "attempts", "next_attempt_at", "created_at"}

        async with smtp_receiver(port=port) as smtp:  # the server is back
            (received,) = await smtp.wait_for_messages(1, timeout=20)
            assert received.recipients == ["b@mail.test"]
            body = received.message.get_content()
            assert "Hello bram" in body
            link = LINK_RE.search(body)
            assert link is not None
            token = link.group(1).split("token=")[1]
            (renewed,) = await inst.pool.fetch("SELECT * FROM password_resets WHERE via = 'email'")
            assert renewed["token_hash"] == hashlib.sha256(token.encode()).digest() != reset["token_hash"]
            assert renewed["expires_at"] == reset["expires_at"]  # a retry does not lengthen the link's life
            assert await _queue(inst) == []
            async with PageClient(inst) as browser:
                status, page = await browser.get(link.group(1))
                assert status == 200 and 'name="password"' in page
            assert _logged(caplog, "password reset e-mail sent")
            assert "token=" not in str([r.__dict__ for r in caplog.records])
            assert len(smtp.messages) == 1


async def test_an_expired_link_is_not_sent(make_instance: Callable[..., Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server")
    async with (
        smtp_receiver(refusing=True) as smtp,
        make_instance(**mail_settings(smtp.port, **FAST)) as inst,
    ):
        await create_account(inst.pool, inst.settings, username="cor", password=PASSWORD, email="c@mail.test")
        await _ask(inst, "cor")

        async def first_failed() -> list[logging.LogRecord]:
            return _logged(caplog, "e-mail not sent")

        await wait_for(first_failed)
        await inst.pool.execute("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        smtp.refusing = False

        async def given_up() -> list[logging.LogRecord]:
            return _logged(caplog, "password reset e-mail given up")

        (record,) = await wait_for(given_up, timeout=20)
        assert record.__dict__["reason"] == "expired"
        assert await _queue(inst) == []
        assert smtp.messages == [] and smtp.connections == 1


async def test_attempts_are_bounded_and_giving_up_is_logged(
    make_instance: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="server")
    async with (
        smtp_receiver(refusing=True) as smtp,
        make_instance(**mail_settings(smtp.port, **FAST)) as inst,
    ):
        # never shorter than one attempt may take (0.2 s × 6), then 30 × smtp_retry_seconds
        assert retry_delays(inst.settings) == pytest.approx([2.2, 2.2, 2.2, 3.0])
        await create_account(inst.pool, inst.settings, username="dirk", password=PASSWORD, email="d@mail.test")
        assert await _ask(inst, "dirk") == await _ask(inst, "niemand")

        async def given_up() -> list[logging.LogRecord]:
            return _logged(caplog, "password reset e-mail given up")

        (record,) = await wait_for(given_up, timeout=40)
        assert record.__dict__["reason"] == "attempts" and record.__dict__["attempts"] == MAX_ATTEMPTS
        assert smtp.connections == MAX_ATTEMPTS
        assert len(_logged(caplog, "password reset e-mail not sent; trying again later")) == MAX_ATTEMPTS - 2
        assert await _queue(inst) == []
        # the link itself stays valid until it expires; only the e-mail is given up
        assert await inst.pool.fetchval("SELECT count(*) FROM password_resets WHERE used_at IS NULL") == 1
        await _ask(inst, "dirk")  # a new request is queued and tried again
        assert len(await _queue(inst)) == 1
