"""Organising and moderating in headless Chromium, with JavaScript on and off: an admin
creates a neighbourhood, a resident joins it and reports a post, the moderator removes the
post from the moderation page; every page axe-clean (no serious or critical violation);
screenshots at phone and desktop width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.domain.actors import create_account
from server.domain.group_posts import post_to_neighbourhood
from server.storage import actors as actor_store
from server.storage import objects as object_store
from tests.browser.test_pages_in_chromium import PASSWORD, WIDTHS, new_page, register, serious_violations
from tests.harness import federating


async def log_in(page: Any, base: str, username: str) -> None:
    await page.goto(base + "/login")
    await page.get_by_label("User name").fill(username)
    await page.locator("#f-password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(base + "/home")


async def assert_accessible(page: Any, where: str, javascript: bool) -> None:
    """No serious or critical axe-core violation (with JavaScript off, on a copy of the page)."""
    assert await serious_violations(page) == [], f"{where} ({'js-on' if javascript else 'js-off'})"


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_create_a_neighbourhood_report_a_post_and_moderate_it(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, screenshot_dir: Path
) -> None:
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        await create_account(inst.pool, inst.settings, username="beheer", password=PASSWORD, is_admin=True)
        admin = await new_page(chromium, javascript=javascript)
        await log_in(admin, base, "beheer")
        await admin.goto(base + "/neighbourhoods/new")
        await assert_accessible(admin, "new neighbourhood", javascript)
        await admin.locator("#f-username").fill("oost")
        await admin.locator("#f-name").fill("Oost")
        await admin.get_by_label("Boundary (GeoJSON, optional)").fill('{"type": "Point"}')
        await admin.get_by_role("button", name="Create the neighbourhood").click()
        await admin.wait_for_load_state()
        assert "GeoJSON Polygon or MultiPolygon" in await admin.content()
        await assert_accessible(admin, "new neighbourhood with errors", javascript)
        await admin.get_by_label("Boundary (GeoJSON, optional)").fill("")
        await admin.get_by_role("button", name="Create the neighbourhood").click()
        await admin.wait_for_url(base + "/neighbourhoods/oost/manage")
        await assert_accessible(admin, "manage", javascript)

        resident = await new_page(chromium, javascript=javascript)
        await register(resident, base, "bert")
        await resident.goto(base + "/@oost")
        await resident.get_by_role("button", name="Follow Oost").click()
        await resident.wait_for_load_state()
        assert "1 member" not in await resident.content()  # now two
        group = await actor_store.local_actor(inst.pool, "oost")
        bert = await actor_store.local_actor(inst.pool, "bert")
        assert group is not None and bert is not None
        post = await post_to_neighbourhood(federating(inst), bert, group, "Gratis fietsen, alleen vandaag")
        await resident.goto(base + "/report?object=" + post.ap_id)
        await assert_accessible(resident, "report form", javascript)
        await resident.get_by_label("What is wrong with this post?").fill("Lokkertje, geen echte fietsen")
        await resident.get_by_role("button", name="Send the report").click()
        await resident.wait_for_load_state()
        assert "Report sent" in await resident.content()
        await resident.goto(base + "/neighbourhoods/oost/moderation")
        assert "Lokkertje" not in await resident.content()  # 403 for residents

        await admin.goto(base + "/neighbourhoods/oost/moderation")
        assert "Lokkertje, geen echte fietsen" in await admin.content()
        await assert_accessible(admin, "moderation", javascript)
        if javascript:
            for label, width in WIDTHS.items():
                await admin.set_viewport_size({"width": width, "height": 900})
                await admin.screenshot(path=str(screenshot_dir / f"moderation-{label}.png"), full_page=True)
        await admin.get_by_role("button", name="Remove this post").click()
        await admin.wait_for_load_state()
        content = await admin.content()
        assert "There are no open reports." in content and "remove_post" in content
        await admin.goto(base + "/admin/federation")
        await assert_accessible(admin, "instance admin", javascript)
        if javascript:
            await admin.screenshot(path=str(screenshot_dir / "instance-admin-desktop.png"), full_page=True)
        await admin.context.close()
        await resident.context.close()
        row = await object_store.object_by_ap_id(inst.pool, post.ap_id)
        assert row is not None and row.deleted_at is not None
