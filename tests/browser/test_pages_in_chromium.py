"""The pages as a person meets them, in headless Chromium, with JavaScript on and off:
register, log in, post, switch language, follow a neighbourhood on a second instance;
axe-core finds no serious or critical accessibility violation; screenshots at phone
(390 px) and desktop width."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.domain import membership
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from tests.browser.conftest import AXE
from tests.harness import PEER_ADDRESSES, federating, wait_for

PASSWORD = "correct horse battery"
WIDTHS = {"phone": 390, "desktop": 1280}


# pages whose context runs no script: axe-core checks a copy of what they show instead
_SCRIPTLESS: weakref.WeakSet[Any] = weakref.WeakSet()


async def new_page(browser: Any, *, javascript: bool, width: int = 1280, locale: str = "en-GB") -> Any:
    context = await browser.new_context(
        java_script_enabled=javascript, viewport={"width": width, "height": 900}, locale=locale, bypass_csp=True
    )
    page = await context.new_page()
    page.set_default_timeout(10_000)
    if not javascript:
        _SCRIPTLESS.add(page)
    return page


async def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page as it is shown now. With
    JavaScript off axe-core cannot run in the page itself (it is a script), so it runs in a
    scripting page that gets, at the same address, exactly the document the scriptless page
    holds (its stylesheets and images load from the server as usual)."""
    if page in _SCRIPTLESS:
        return await _violations_of_copy(page)
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}×)"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


async def _violations_of_copy(page: Any) -> list[str]:
    html, url = await page.content(), page.url
    checker = await new_page(page.context.browser, javascript=True, width=page.viewport_size["width"])
    try:
        await checker.route(
            lambda address: address == url,
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html),
        )
        await checker.goto(url)
        return await serious_violations(checker)
    finally:
        await checker.context.close()


async def register(page: Any, base: str, username: str) -> None:
    await page.goto(base + "/register")
    await page.get_by_label("User name").fill(username)
    await page.locator("#f-password").fill(PASSWORD)
    await page.get_by_label("Password again").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_url(base + "/home")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_register_post_log_in_and_switch_language(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool, screenshot_dir: Path
) -> None:
    async with make_instance(registration_mode="open") as inst:
        group = await create_local_actor(
            inst.pool, inst.settings, kind="Group", username="oosterpark", name="Oosterpark"
        )
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        await register(page, base, "anna")
        anna = await actor_store.local_actor(inst.pool, "anna")
        assert anna is not None
        await membership.join(federating(inst), anna, group)  # posting in a neighbourhood is for members
        await page.goto(base + "/compose")
        await page.get_by_label("Message").fill("Wie leent mij een ladder?")
        await page.get_by_label("Neighbourhood", exact=True).select_option("oosterpark")
        await page.get_by_role("button", name="Publish").click()
        await page.wait_for_url(base + "/objects/*")
        assert "Wie leent mij een ladder?" in await page.content()
        await page.get_by_role("button", name="Log out").click()
        await page.goto(base + "/login")
        await page.get_by_label("User name").fill("anna")
        await page.locator("#f-password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(base + "/home")
        assert "Wie leent mij een ladder?" in await page.content()
        await page.get_by_label("Language", exact=True).select_option("nl")
        await page.get_by_role("button", name="Change").click()
        await page.wait_for_load_state()
        assert await page.get_attribute("html", "lang") == "nl"
        assert "Tijdlijn" in await page.content()
        await page.context.close()
        if javascript:
            await take_screenshots(chromium, base, screenshot_dir)


async def take_screenshots(chromium: Any, base: str, folder: Path) -> None:
    for name, width in WIDTHS.items():
        page = await new_page(chromium, javascript=True, width=width, locale="nl-NL")
        for path, label in (("/", "home"), ("/@oosterpark", "neighbourhood"), ("/register", "register")):
            await page.goto(base + path)
            await page.screenshot(path=str(folder / f"{label}-{name}.png"), full_page=True)
        await page.context.close()


async def test_the_scriptless_check_sees_what_the_page_shows(chromium: Any, make_instance: Callable[..., Any]) -> None:
    """With JavaScript off the check runs on a copy: a violation in the page as it is shown
    now (an image without alt text put in after loading) is found there."""
    async with make_instance() as inst:
        page = await new_page(chromium, javascript=False)
        await page.goto(inst.base_url + "/login")
        assert await serious_violations(page) == []
        await page.evaluate("document.querySelector('main').append(document.createElement('img'))")
        assert any(found.startswith("image-alt:") for found in await serious_violations(page))
        await page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_main_pages_have_no_serious_accessibility_violations(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    async with make_instance(registration_mode="open") as inst:
        await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark", name="Oosterpark")
        base = inst.base_url
        page = await new_page(chromium, javascript=javascript)
        found: dict[str, list[str]] = {}
        for path in ("/", "/@oosterpark", "/login", "/register", "/search?q=ooster"):
            await page.goto(base + path)
            found[path] = await serious_violations(page)
        await register(page, base, "anna")
        for path in ("/home", "/compose", "/settings", "/@anna"):
            await page.goto(base + path)
            found[path] = await serious_violations(page)
        await page.goto(base + "/register")
        await page.get_by_role("button", name="Create account").click()  # errors shown
        found["/register (errors)"] = await serious_violations(page)
        await page.context.close()
    assert {path: v for path, v in found.items() if v} == {}


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
async def test_follow_a_neighbourhood_on_a_second_instance(
    chromium: Any, make_instance: Callable[..., Any], javascript: bool
) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as home,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as there,
    ):
        await create_local_actor(there.pool, there.settings, kind="Group", username="westwijk", name="Westwijk")
        page = await new_page(chromium, javascript=javascript)
        await register(page, home.base_url, "bram")
        await page.goto(home.base_url + "/search")
        await page.get_by_label("Name, neighbourhood, #tag, name@server or address").fill(
            f"westwijk@{there.settings.domain}"
        )
        await page.get_by_role("button", name="Search", exact=True).click()
        await page.get_by_role("button", name="Follow Westwijk").click()
        await page.wait_for_load_state()
        await page.context.close()

        async def followed() -> bool:
            return bool(await there.pool.fetchval("SELECT count(*) FROM follows WHERE state = 'accepted'"))

        await wait_for(followed, timeout=20)
