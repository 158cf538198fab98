"""The poll composer's time zone list in headless Chromium, with JavaScript on and off:
the list is found by its label with the instance default selected, a time skipped by the
clocks going forward gets the error next to the end time (tied to it with
`aria-describedby`), another zone chosen from the list takes it, and the poll page names the zone; axe-core
finds no serious or critical violation on the composer (with and without the error) and
on the poll page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.test_pages_in_chromium import new_page, register, serious_violations

SKIPPED = "This time does not exist in this time zone: the clocks go forward then. Choose another time."


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_the_poll_composer_takes_a_time_zone(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        await page.goto(base + "/compose/poll")
        found = {"composer": await serious_violations(page)}
        zone = page.get_by_label("Time zone")
        assert await zone.evaluate("e => e.tagName") == "SELECT"
        assert await zone.input_value() == "Europe/Amsterdam"
        await page.get_by_label("Question").fill("Wanneer het buurtfeest?")
        await page.locator("#f-option1").fill("Zaterdag")
        await page.locator("#f-option2").fill("Zondag")
        await page.get_by_label("Open until").fill("2030-03-31T02:30")  # Amsterdam skips 02:00-03:00 then
        await page.get_by_role("button", name="Publish the poll").click()
        await page.wait_for_load_state()
        ends = page.get_by_label("Open until")
        assert await ends.get_attribute("aria-invalid") == "true"
        described = await ends.get_attribute("aria-describedby") or ""
        assert "f-ends-error" in described.split()
        assert SKIPPED in (await page.locator("#f-ends-error").inner_text())
        found["composer (error)"] = await serious_violations(page)

        assert await page.get_by_label("Time zone").input_value() == "Europe/Amsterdam"  # kept after the error
        await page.get_by_label("Time zone").select_option("Asia/Tokyo")
        await page.get_by_role("button", name="Publish the poll").click()
        await page.wait_for_url(base + "/objects/*")
        assert "Open until Mar 31, 2030, 2:30:00\u202fAM (Asia/Tokyo)." in await page.content()
        found["poll page"] = await serious_violations(page)
        await page.context.close()
    assert {name: v for name, v in found.items() if v} == {}
