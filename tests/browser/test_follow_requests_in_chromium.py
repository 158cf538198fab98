"""A resident's follow requests (/settings/follow-requests) in headless Chromium, with
JavaScript on and off: reached from the settings page, approval by hand chosen with the
radio buttons (a group with its legend), the waiting requests approved and refused with
their named buttons, reached with the keyboard; axe-core finds no serious or critical
violation on the page empty, with requests waiting, and after an answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.domain import follows
from server.domain.actors import create_account, create_local_actor
from server.storage import follows as follow_store
from tests.browser.test_moderation_in_chromium import log_in
from tests.browser.test_pages_in_chromium import PASSWORD, new_page, serious_violations
from tests.harness import federating

PATH = "/settings/follow-requests"


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_a_resident_answers_follow_requests(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    from playwright.async_api import expect

    found: dict[str, list[str]] = {}
    async with make_instance() as inst:
        base = inst.base_url
        fed = federating(inst)
        lotte = await create_account(inst.pool, inst.settings, username="lotte", password=PASSWORD)
        bert = await create_local_actor(inst.pool, inst.settings, kind="Person", username="bert", name="Bert")
        carla = await create_local_actor(inst.pool, inst.settings, kind="Person", username="carla", name="Carla")
        page = await new_page(chromium, javascript=javascript)
        await log_in(page, base, "lotte")
        await page.goto(base + "/settings")
        await page.get_by_role("link", name="Who may follow you, and the requests waiting for your answer").click()
        await page.wait_for_url(base + PATH)
        await expect(page.get_by_role("heading", name="Follow requests", level=1)).to_be_visible()
        await expect(page.get_by_text("No one is waiting for an answer.")).to_be_visible()
        found["empty"] = await serious_violations(page)

        group = page.get_by_role("group", name="When someone wants to follow you")
        await expect(group.get_by_label("They follow you at once")).to_be_checked()
        await group.get_by_label("I approve each new follower myself").check()
        async with page.expect_navigation():
            await page.get_by_role("button", name="Save").click()
        await expect(page.get_by_role("status")).to_have_text("Saved.")
        await expect(group.get_by_label("I approve each new follower myself")).to_be_checked()

        for follower in (bert, carla):
            await follows.follow(fed, follower, lotte.ap_id)
        await page.reload()
        approve = page.get_by_role("button", name="Approve Bert")
        await expect(approve).to_be_visible()
        await expect(page.get_by_role("button", name="Refuse Carla")).to_be_visible()
        found["with requests"] = await serious_violations(page)

        await approve.focus()
        await expect(approve).to_be_focused()
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await expect(page.get_by_role("status")).to_have_text("Request approved: they follow you now.")
        assert await follow_store.follow_state(inst.pool, bert.id, lotte.id) == "accepted"
        async with page.expect_navigation():
            await page.get_by_role("button", name="Refuse Carla").click()
        await expect(page.get_by_role("status")).to_have_text("Request refused.")
        await expect(page.get_by_text("No one is waiting for an answer.")).to_be_visible()
        assert await follow_store.follow_state(inst.pool, carla.id, lotte.id) is None
        found["answered"] = await serious_violations(page)
        await page.context.close()
    assert {where: v for where, v in found.items() if v} == {}
