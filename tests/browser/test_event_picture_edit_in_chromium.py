"""An event's picture edited in headless Chromium, with JavaScript on and off: the edit
form shows the current picture, its alt text and the keep/replace/remove choice by label;
new alt text, a new image and removing it each show on the event page; a new image
without alt text is refused next to the field; axe-core finds no serious or critical
violation on the edit form, also with the error shown."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.browser.test_events_in_chromium import SOON
from tests.browser.test_pages_in_chromium import new_page, register, serious_violations


def png(folder: Path, name: str, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    path = folder / name
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


async def submit(page: Any, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def event_picture(page: Any) -> tuple[str, str] | None:
    """(src, alt) of the picture on the event page, None without one."""
    images = page.locator("figure.event-image img")
    if await images.count() == 0:
        return None
    return str(await images.get_attribute("src")), str(await images.get_attribute("alt"))


async def open_edit_form(page: Any, event_url: str) -> None:
    await page.goto(event_url)
    await page.get_by_role("link", name="Edit this event").click()
    await page.wait_for_url(event_url + "/edit")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_describe_replace_and_remove_an_event_picture(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, tmp_path: Path
) -> None:
    found: dict[str, list[str]] = {}
    first = png(tmp_path, "tafels.png", (64, 48), (30, 120, 60))
    second = png(tmp_path, "kraam.png", (40, 40), (200, 80, 20))
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        await page.goto(base + "/compose/event")
        await page.get_by_label("Name of the event").fill("Buurtfeest")
        await page.locator("#f-starts").fill(f"{SOON}T14:00")
        await page.get_by_label("Image file").set_input_files(str(first))
        await page.get_by_label("Image description (alt text, required with an image)").fill("Tafels op het plein")
        await page.get_by_role("button", name="Publish the event").click()
        await page.wait_for_url(base + "/objects/*")
        event_url = str(page.url)
        shown = await event_picture(page)
        assert shown is not None and shown[1] == "Tafels op het plein"
        first_src = shown[0]

        # the edit form: the current picture, its alt text, and the choice by label
        await open_edit_form(page, event_url)
        assert await page.get_by_role("img", name="Tafels op het plein").count() == 1
        current_alt = page.get_by_label("Description of the current picture (alt text)")
        assert await current_alt.input_value() == "Tafels op het plein"
        choice = page.get_by_role("group", name="The current picture")
        assert await choice.get_by_label("Keep it").is_checked()
        assert await choice.get_by_label("Replace it with the new image below").count() == 1
        assert await choice.get_by_label("Remove it").count() == 1
        found["edit form"] = await serious_violations(page)

        # new alt text, same picture
        await current_alt.fill("Lange tafels op het plein")
        await submit(page, "Save the event")
        assert page.url == event_url
        assert await event_picture(page) == (first_src, "Lange tafels op het plein")

        # a new image without alt text: refused next to the field
        await open_edit_form(page, event_url)
        await page.get_by_label("Replace it with the new image below").check()
        await page.get_by_label("New image file").set_input_files(str(second))
        await submit(page, "Save the event")
        alt = page.locator("#f-alt_text")
        assert await alt.get_attribute("aria-invalid") == "true"
        described_by = str(await alt.get_attribute("aria-describedby")).split()
        assert "f-alt_text-error" in described_by
        error = page.locator("#f-alt_text-error")
        assert "Describe the image for people who cannot see it." in await error.inner_text()
        assert await page.get_by_label("Replace it with the new image below").is_checked()
        found["edit form (errors)"] = await serious_violations(page)

        # the new image with its alt text replaces the old one
        await page.get_by_label("New image file").set_input_files(str(second))
        await page.get_by_label("Image description (alt text, required with an image)").fill("Een oranje kraam")
        await submit(page, "Save the event")
        assert page.url == event_url
        shown = await event_picture(page)
        assert shown is not None and shown[1] == "Een oranje kraam"
        assert shown[0] != first_src and shown[0].startswith("/media/")
        image = page.get_by_role("img", name="Een oranje kraam")
        if javascript:
            assert await image.evaluate("img => img.complete && img.naturalWidth") == 40
        async with inst.session.get(base + first_src) as resp:
            assert resp.status == 404  # the old file is gone

        # removed: no picture on the event page
        await open_edit_form(page, event_url)
        await page.get_by_label("Remove it").check()
        await submit(page, "Save the event")
        assert page.url == event_url
        assert await event_picture(page) is None
        assert await page.locator("img[src^='/media/']").count() == 0
        await page.context.close()
    assert {where: v for where, v in found.items() if v} == {}
