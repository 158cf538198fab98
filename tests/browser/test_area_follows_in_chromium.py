"""An organisation's area follows (/settings/area-follows) in headless Chromium, with
JavaScript on and off: opened from the settings page, an invalid box refused next to its
fields (each focusable and described by the error), an area followed by its name and
listed with its count, and ended with its neighbourhoods unfollowed; axe-core finds no
serious or critical violation on the page empty, with errors, and with an area follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from server.domain.actors import create_account
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import follows as follow_store
from tests.browser.test_moderation_in_chromium import log_in
from tests.browser.test_pages_in_chromium import PASSWORD, new_page, serious_violations
from tests.harness import federating

PATH = "/settings/area-follows"
BOX_LABELS = (
    "West (smallest longitude)",
    "South (smallest latitude)",
    "East (largest longitude)",
    "North (largest latitude)",
)
BOX_ERROR = "A box runs from west to east between −180 and 180, and from south to north between −90 and 90."


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_an_organisation_follows_and_ends_an_area(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    from playwright.async_api import expect

    found: dict[str, list[str]] = {}
    async with make_instance() as inst:
        base = inst.base_url
        fed = federating(inst)
        oost = await create_neighbourhood(fed, "binnen", name="Binnen", area_name="Oost")
        await create_neighbourhood(fed, "westwijk", name="Westwijk", area_name="West")
        gemeente = await create_account(
            inst.pool, inst.settings, username="gemeente", password=PASSWORD, kind="Organization"
        )
        page = await new_page(chromium, javascript=javascript)
        await log_in(page, base, "gemeente")
        await page.goto(base + "/settings")
        await page.get_by_role("link", name="Follow every neighbourhood of an area, or end an area follow").click()
        await page.wait_for_url(base + PATH)
        await expect(page.get_by_role("heading", name="Areas you follow", level=1)).to_be_visible()
        await expect(page.get_by_text("You follow no area yet.")).to_be_visible()
        found["empty"] = await serious_violations(page)

        # an invalid box (west of east): refused next to its fields, each describing the error
        for label, value in zip(BOX_LABELS, ("5", "52", "4", "53"), strict=True):
            await page.get_by_label(label).fill(value)
        async with page.expect_navigation():
            await page.get_by_role("button", name="Follow this area").click()
        error = page.locator("#f-bbox-error")
        await expect(error).to_contain_text(BOX_ERROR)
        box = page.get_by_role("group", name="Box (optional): four numbers in degrees")
        assert await box.locator("#f-bbox-error").count() == 1  # in the box's own fieldset
        west = page.get_by_label("West (smallest longitude)")
        await expect(west).to_have_value("5")  # what was typed stays
        for label in ("West (smallest longitude)", "North (largest latitude)"):
            field = page.get_by_label(label)
            await expect(field).to_have_attribute("aria-invalid", "true")
            assert "f-bbox-error" in ((await field.get_attribute("aria-describedby")) or "").split()
            await expect(field).to_have_accessible_description("Error: " + BOX_ERROR)  # as Chromium computes it
            await field.focus()
            await expect(field).to_be_focused()
        await page.keyboard.press("Shift+Tab")  # the fields are reached with the keyboard too
        await expect(page.get_by_label("East (largest longitude)")).to_be_focused()
        found["with errors"] = await serious_violations(page)
        assert await inst.pool.fetchval("SELECT count(*) FROM area_follows") == 0

        # followed by the area's name: the public neighbourhood there is followed, listed with its count
        for label in BOX_LABELS:
            await page.get_by_label(label).fill("")
        await page.get_by_label("Area name").fill("Oost")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Follow this area").click()
        await expect(page.get_by_role("status")).to_have_text("Following the area: 1 neighbourhood followed now.")
        row = page.get_by_role("listitem").filter(has_text="area Oost")
        await expect(row).to_contain_text("1 neighbourhood followed")
        assert await follow_store.follow_state(inst.pool, gemeente.id, oost.id) == "accepted"
        found["with an area follow"] = await serious_violations(page)

        # ended, with the neighbourhoods it followed
        await row.get_by_label("Also unfollow the 1 neighbourhood this area follow followed").check()
        async with page.expect_navigation():
            await row.get_by_role("button", name="End area follow").click()
        await expect(page.get_by_role("status")).to_contain_text("The area follow has ended")
        await expect(page.get_by_role("status")).to_contain_text("1 neighbourhood unfollowed.")
        await expect(page.get_by_text("You follow no area yet.")).to_be_visible()
        assert await follow_store.follow_state(inst.pool, gemeente.id, oost.id) is None
        found["ended"] = await serious_violations(page)
        await page.context.close()
    assert {where: v for where, v in found.items() if v} == {}
