"""The "forgot password" flow in headless Chromium, with JavaScript on and off, against a
loopback SMTP receiver: the resident asks for a link from the login page, opens the link
from the captured e-mail, chooses a new password and logs in with it; axe-core finds no
serious or critical violation on the forgot page and the new-password page (with
JavaScript off on a copy of the page, as `serious_violations` does)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.domain.actors import create_account
from tests.browser.test_pages_in_chromium import PASSWORD, new_page, serious_violations
from tests.server.web.smtp_receiver import smtp_receiver
from tests.server.web.test_password_mail import mail_settings

NEW_PASSWORD = "een heel nieuw wachtwoord"
LINK_RE = re.compile(r"(http://\S+/password-reset\?token=[A-Za-z0-9_-]+)")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_forgot_password_by_mail_then_log_in(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, screenshot_dir: Path
) -> None:
    async with smtp_receiver() as smtp, make_instance(**mail_settings(smtp.port)) as inst:
        await create_account(inst.pool, inst.settings, username="wendy", password=PASSWORD, email="wendy@mail.test")
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)

        await page.goto(base + "/login")
        await page.get_by_role("link", name="Forgot your password?").click()
        await page.wait_for_url(base + "/login/forgot")
        assert await serious_violations(page) == []
        await page.screenshot(path=str(screenshot_dir / f"forgot-{'js' if javascript else 'nojs'}.png"))
        await page.get_by_label("User name or e-mail address").fill("wendy")
        await page.get_by_role("button", name="Send the link").click()
        await page.get_by_role("status").filter(has_text="we have sent it a link").wait_for()

        (received,) = await smtp.wait_for_messages(1)
        assert received.recipients == ["wendy@mail.test"]
        link = LINK_RE.search(received.message.get_content())
        assert link is not None

        await page.goto(link.group(1))
        await page.get_by_role("heading", name="Choose a new password").wait_for()
        assert await serious_violations(page) == []
        await page.screenshot(path=str(screenshot_dir / f"new-password-{'js' if javascript else 'nojs'}.png"))
        await page.get_by_label("New password").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Save password").click()
        await page.wait_for_url(re.compile(re.escape(base) + r"/login"))

        await page.get_by_label("User name").fill("wendy")
        await page.locator("#f-password").fill(PASSWORD)  # the old password no longer works
        await page.get_by_role("button", name="Log in").click()
        await page.locator("#f-password").wait_for()
        assert page.url.startswith(base + "/login")

        await page.get_by_label("User name").fill("wendy")
        await page.locator("#f-password").fill(NEW_PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(base + "/home")
        await page.context.close()
