"""Posting and reading in headless Chromium, with JavaScript on and off: a post with an
image and its alt text (a missing alt text is refused next to the field), the post page
with its content warning, reporting a post, the notifications and tag pages; axe-core
finds no serious or critical violation; screenshots at phone and desktop width."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from tests.browser.test_pages_in_chromium import WIDTHS, new_page, register, serious_violations
from tests.harness import federating


def photo(folder: Path) -> Path:
    path = folder / "plein.jpg"
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, format="JPEG", exif=exif.tobytes())
    path.write_bytes(out.getvalue())
    return path


async def check(page: Any, where: str, javascript: bool, found: dict[str, list[str]]) -> None:
    found[f"{where} ({'js-on' if javascript else 'js-off'})"] = await serious_violations(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_post_with_an_image_and_report_a_post(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, screenshot_dir: Path, tmp_path: Path
) -> None:
    found: dict[str, list[str]] = {}
    async with make_instance(registration_mode="open") as inst:
        base = inst.base_url
        bram = await create_local_actor(inst.pool, inst.settings, kind="Person", username="bram", name="Bram")
        other = await publish_draft(
            federating(inst), bram, Draft(text="Koop nu goedkope horloges #Aanbieding", summary="Reclame")
        )
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        await page.goto(base + "/compose")
        await check(page, "composer", javascript, found)
        await page.get_by_label("Message").fill("Het plein is klaar #Oosterpark")
        await page.locator("#f-image").set_input_files(str(photo(tmp_path)))
        async with page.expect_navigation():
            await page.get_by_role("button", name="Publish").click()
        assert "Describe the image for people who cannot see it." in await page.content()
        await check(page, "composer with errors", javascript, found)
        await page.locator("#f-image").set_input_files(str(photo(tmp_path)))
        await page.locator("#f-alt_text").fill("Het nieuwe plein met bankjes")
        await page.get_by_role("button", name="Publish").click()
        await page.wait_for_url(base + "/objects/*")
        image = page.get_by_role("img", name="Het nieuwe plein met bankjes")
        assert await image.count() == 1
        assert await image.evaluate("img => img.complete && img.naturalWidth") == 64
        await check(page, "post page", javascript, found)

        await page.goto(other.ap_id)
        content = page.locator("details.cw")
        assert not await content.evaluate("d => d.open")
        await page.locator("details.cw summary").click()
        assert await content.evaluate("d => d.open")
        await page.get_by_label("What is wrong with it?").fill("Spam")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Send report").click()
        assert await inst.pool.fetchval("SELECT count(*) FROM reports WHERE $1 = ANY(target_ids)", other.ap_id) == 1
        for path, where in (("/notifications", "notifications"), ("/tags/aanbieding", "tag page")):
            await page.goto(base + path)
            await check(page, where, javascript, found)
        if javascript:
            for width_name, width in WIDTHS.items():
                shot = await new_page(chromium, javascript=True, width=width)
                await register(shot, base, f"kijker{width}")
                for path, name in (
                    ("/compose", "composer"),
                    (other.ap_id, "post"),
                    ("/notifications", "notifications"),
                ):
                    await shot.goto(path if path.startswith("http") else base + path)
                    await shot.screenshot(path=str(screenshot_dir / f"posting-{name}-{width_name}.png"), full_page=True)
                await shot.context.close()
        await page.context.close()
    assert {where: v for where, v in found.items() if v} == {}
