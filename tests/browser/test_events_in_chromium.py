"""Events and polls as a person meets them, in headless Chromium with JavaScript on and
off: create an event (its time zone chosen from the list), RSVP, create a poll and vote;
a start time the clocks skip gets the error next to the field; axe-core finds no serious
or critical violation on the event and poll pages and composers (also with errors);
screenshots at 390 and 1280 px."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_pages_in_chromium import WIDTHS, new_page, register, serious_violations

SOON = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d")


async def create_event(page: Any, base: str) -> str:
    await page.goto(base + "/compose/event")
    await page.get_by_label("Name of the event").fill("Buurtfeest")
    await page.get_by_label("Description", exact=True).fill("Kom ook!")
    await page.locator("#f-starts").fill(f"{SOON}T14:00")
    await page.locator("#f-ends").fill(f"{SOON}T17:00")
    zone = page.get_by_label("Time zone")
    assert await zone.evaluate("e => e.tagName") == "SELECT" and await zone.input_value() == "Europe/Amsterdam"
    await zone.select_option("Europe/Brussels")
    await page.get_by_label("Name of the place").fill("Buurthuis")
    await page.get_by_label("Latitude").fill("52.35")
    await page.get_by_label("Longitude").fill("4.89")
    await page.get_by_role("button", name="Publish the event").click()
    await page.wait_for_url(base + "/objects/*")
    return str(page.url)


async def create_poll(page: Any, base: str) -> str:
    await page.goto(base + "/compose/poll")
    await page.get_by_label("Question").fill("Een bankje op het plein?")
    await page.locator("#f-option1").fill("Ja")
    await page.locator("#f-option2").fill("Nee")
    await page.get_by_role("button", name="Publish the poll").click()
    await page.wait_for_url(base + "/objects/*")
    return str(page.url)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_create_an_event_rsvp_and_vote(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, screenshot_dir: Path
) -> None:
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        event_url = await create_event(page, base)
        assert "Show the place on OpenStreetMap" in await page.content()
        assert "<dd>Europe/Brussels</dd>" in await page.content()
        await page.get_by_role("button", name="I'm going").click()
        await page.wait_for_load_state()
        assert "Your answer: going." in await page.content() and "1 person is going" in await page.content()
        poll_url = await create_poll(page, base)
        await page.get_by_label("Ja", exact=True).check()
        await page.get_by_role("button", name="Vote").click()
        await page.wait_for_load_state()
        assert "1 person voted" in await page.content()
        found: dict[str, list[str]] = {}
        for url in (event_url, poll_url, base + "/compose/event", base + "/compose/poll", base + "/"):
            await page.goto(url)
            found[url] = await serious_violations(page)
        await page.goto(base + "/compose/event")
        await page.get_by_role("button", name="Publish the event").click()  # errors shown
        found["event composer (errors)"] = await serious_violations(page)
        await page.locator("#f-starts").fill("2030-03-31T02:30")  # Amsterdam's clocks skip 02:00-03:00 then
        await page.get_by_label("Name of the event").fill("Nachtwandeling")
        await page.get_by_role("button", name="Publish the event").click()
        await page.wait_for_load_state()
        starts = page.get_by_label("Starts")
        assert await starts.get_attribute("aria-invalid") == "true"
        assert "f-starts-error" in (await starts.get_attribute("aria-describedby") or "").split()
        assert "the clocks go forward then" in await page.locator("#f-starts-error").inner_text()
        found["event composer (skipped time)"] = await serious_violations(page)
        if javascript:
            for name, width in WIDTHS.items():
                await page.set_viewport_size({"width": width, "height": 900})
                for url, label in (
                    (event_url, "event"),
                    (poll_url, "poll"),
                    (base + "/compose/event", "compose-event"),
                ):
                    await page.goto(url)
                    await page.screenshot(path=str(screenshot_dir / f"{label}-{name}.png"), full_page=True)
        await page.context.close()
    assert {url: v for url, v in found.items() if v} == {}
