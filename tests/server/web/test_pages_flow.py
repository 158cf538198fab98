"""The core pages over plain HTTP: posting to a neighbourhood, what public pages show
(never private posts), language switch, search, account deletion that federates, and
page weight."""

from __future__ import annotations

import re

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.posts import create_note
from server.storage import actors as actor_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"


async def make_neighbourhood(inst: Instance, username: str = "oosterpark") -> actor_store.ActorRow:
    return await create_local_actor(inst.pool, inst.settings, kind="Group", username=username, name="Oosterpark")


async def test_a_resident_posts_to_a_neighbourhood_and_it_shows_there(open_instance: Instance) -> None:
    group = await make_neighbourhood(open_instance)
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        anna = await actor_store.local_actor(open_instance.pool, "anna")
        assert anna is not None
        await membership.join(federating(open_instance), anna, group)  # posting is for members
        status, page, _ = await browser.submit(
            "/compose",
            {
                "content": "Rommelmarkt <zaterdag>!\n\nIedereen welkom.",
                "neighbourhood": "oosterpark",
                "visibility": "public",
            },
        )
        assert status == 200 and "Rommelmarkt &lt;zaterdag&gt;!" in page  # the post page, escaped
        status, page = await browser.get("/@oosterpark")
        assert status == 200 and "Rommelmarkt &lt;zaterdag&gt;!" in page and "About this neighbourhood" in page
        status, page = await browser.get("/home")
        assert "Rommelmarkt" in page


async def test_composer_errors_keep_the_text(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page, _ = await browser.submit("/compose", {"content": "", "neighbourhood": "nergens"})
        assert status == 400 and "Write something first." in page and "Choose a neighbourhood" in page
        status, page, _ = await browser.submit("/compose", {"content": "x" * 5001})
        assert status == 400 and "at most 5000 characters" in page


async def test_followers_only_posts_never_show_on_public_pages(open_instance: Instance) -> None:
    group = await make_neighbourhood(open_instance)
    author = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    secret = await create_note(
        federating(open_instance), author, "<p>geheim</p>", visibility="followers", extra_cc=[group.ap_id]
    )
    async with PageClient(open_instance) as visitor:
        for path in ("/@oosterpark", "/@bram", "/search?q=%23geheim"):
            status, page = await visitor.get(path)
            assert status == 200 and "<p>geheim</p>" not in page
        status, _ = await visitor.get(secret.ap_id)
        assert status == 404


async def test_language_follows_accept_language_and_the_switch(open_instance: Instance) -> None:
    await make_neighbourhood(open_instance)
    async with PageClient(open_instance, language="nl-NL,nl;q=0.9,en;q=0.5") as browser:
        status, page = await browser.get("/")
        assert '<html lang="nl">' in page and "Buurten op" in page
        browser.language = "en"
        await browser.submit("/language", {"language": "nl", "next": "/"}, from_page="/")
        assert '<html lang="nl">' in browser.last_page  # the cookie beats Accept-Language
        await browser.submit("/language", {"language": "en", "next": "/"}, from_page="/")
        assert '<html lang="en">' in browser.last_page and "Neighbourhoods on" in browser.last_page
        status, _, _ = await browser.submit("/language", {"language": "xx", "next": "/"}, from_page="/")
        assert status == 400


async def test_dates_are_in_the_neighbourhood_time_zone_and_reader_language(open_instance: Instance) -> None:
    group = await make_neighbourhood(open_instance)
    await open_instance.pool.execute("UPDATE neighbourhoods SET timezone = 'Asia/Tokyo' WHERE actor_id = $1", group.id)
    row = await create_note(federating(open_instance), group, "<p>tijd</p>")
    await open_instance.pool.execute("UPDATE objects SET published_at = '2025-03-01 12:00:00+00' WHERE id = $1", row.id)
    async with PageClient(open_instance, language="nl") as browser:
        _, page = await browser.get("/@oosterpark")
    assert "1 mrt 2025, 21:00:00" in page  # noon UTC is 21:00 in Tokyo, in Dutch


async def test_search_finds_people_neighbourhoods_and_tags(open_instance: Instance) -> None:
    group = await make_neighbourhood(open_instance)
    await create_note(federating(open_instance), group, "<p>Wie doet mee? #buurtfeest</p>")
    async with PageClient(open_instance) as browser:
        _, page = await browser.get("/search?q=ooster")
        assert "Oosterpark" in page
        _, page = await browser.get("/search?q=%23buurtfeest")
        assert "Wie doet mee?" in page
        _, page = await browser.get("/search?q=someone%40elsewhere.example")
        assert "Log in to look up" in page  # visitors never make this server fetch things


async def test_deleting_an_account_federates_and_the_profile_is_gone(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page, _ = await browser.submit("/settings/delete", {"password": "wrong one!"}, from_page="/settings")
        assert status == 400 and "This is not your current password." in page
        status, _, _ = await browser.submit("/settings/delete", {"password": PASSWORD}, from_page="/settings")
        assert status == 200
        status, _ = await browser.get("/@anna")
        assert status == 410
    document = await open_instance.pool.fetchval(
        "SELECT document FROM outgoing_activities WHERE document->>'type' = 'Delete'"
    )
    assert document["object"] == document["actor"] == open_instance.url("/actors/anna")
    assert await open_instance.pool.fetchval("SELECT count(*) FROM accounts") == 0


async def test_profile_edit_federates_as_update(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        await browser.submit(
            "/settings/profile", {"name": "Anna de Vries", "summary": "Hoi <b>buren</b>"}, from_page="/settings"
        )
        _, page = await browser.get("/@anna")
    assert "Anna de Vries" in page and "Hoi &lt;b&gt;buren&lt;/b&gt;" in page
    kinds = await open_instance.pool.fetch("SELECT document->>'type' AS t FROM outgoing_activities")
    assert "Update" in {r["t"] for r in kinds}


async def test_neighbourhood_first_view_is_under_100_kb(open_instance: Instance) -> None:
    group = await make_neighbourhood(open_instance)
    for i in range(20):
        await create_note(federating(open_instance), group, f"<p>Bericht {i} " + "tekst " * 40 + "</p>")
    async with PageClient(open_instance) as browser:
        _, page = await browser.get("/@oosterpark")
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        total = len(page.encode())
        for asset in assets:
            _, body = await browser.get(asset)
            total += len(body.encode())
    assert assets and total < 100 * 1024
    assert "http" not in " ".join(re.findall(r"<(?:script|link|img)[^>]*>", page)).replace(group.ap_id, "")


async def test_pages_send_security_headers(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser, browser.session.get(open_instance.url("/")) as resp:
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
        assert resp.headers["X-Frame-Options"] == "DENY"
