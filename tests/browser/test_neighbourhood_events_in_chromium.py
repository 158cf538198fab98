"""Holding an event in a neighbourhood, in headless Chromium with JavaScript on and off:
the resident picks their neighbourhood by its label, a followers-only event gets the
error next to the field (tied to it with aria-describedby), a public one is published and
its page names the neighbourhood; axe-core finds no serious or critical violation on the
composer, with and without the error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.domain import membership
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from tests.browser.test_pages_in_chromium import new_page, register, serious_violations
from tests.harness import federating

SOON = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%d")


async def fill_event(page: Any, base: str) -> None:
    await page.goto(base + "/compose/event")
    await page.get_by_label("Name of the event").fill("Straatfeest")
    await page.locator("#f-starts").fill(f"{SOON}T14:00")
    await page.get_by_label("Hold it in a neighbourhood").select_option(label="Oosterpark")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_hold_an_event_in_a_neighbourhood(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        anna = await actor_store.local_actor(inst.pool, "anna")
        assert anna is not None
        fed = federating(inst)
        group = await create_neighbourhood(fed, "oosterpark", name="Oosterpark")
        await membership.join(fed, anna, group)
        found: dict[str, list[str]] = {}

        await fill_event(page, base)
        found["composer"] = await serious_violations(page)
        await page.get_by_label("Followers only").check()
        await page.get_by_role("button", name="Publish the event").click()
        await page.wait_for_load_state()
        field = page.get_by_label("Hold it in a neighbourhood")
        assert "f-neighbourhood-error" in (await field.get_attribute("aria-describedby") or "")
        assert "An event in a neighbourhood is public or unlisted." in await page.content()
        found["composer (error)"] = await serious_violations(page)

        await fill_event(page, base)
        await page.get_by_role("button", name="Publish the event").click()
        await page.wait_for_url(base + "/objects/*")
        content = await page.content()
        assert "Straatfeest" in content and "Oosterpark" in content
        await page.context.close()
    assert {name: v for name, v in found.items() if v} == {}
