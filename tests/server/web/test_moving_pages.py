"""The moving page (/settings/moving) between two real instances: aliases added by handle
(WebFinger) and removed, each reaching the followers' server as an Update; moving the
account away (refused until the new account lists this one); Mastodon follow and block
exports uploaded and imported in the background (more than 1000 accounts; one unfinished
import of a kind at a time; progress and failures on the page, in English and Dutch), with
too-large and malformed files answered next to the field."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import aiohttp

from server.domain import follows
from server.domain.actors import create_account, create_local_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import list_imports as list_import_store
from server.storage import moderation as moderation_store
from server.storage import portability as portability_store
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"
PAGE = "/settings/moving"


async def aliases_seen_by(inst: Instance, ap_id: str) -> tuple[str, ...] | None:
    row = await actor_store.actor_by_ap_id(inst.pool, ap_id)
    return row.also_known_as if row is not None else None


async def upload(browser: PageClient, kind: str, data: bytes | None) -> tuple[int, str]:
    await browser.get(PAGE)
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf())
    if data is not None:
        form.add_field("file", io.BytesIO(data), filename=f"{kind}.csv", content_type="text/csv")
    else:
        form.add_field("file", b"", filename="", content_type="application/octet-stream")
    url = browser.instance.url(f"{PAGE}/{kind}")
    async with browser.session.post(url, data=form, headers=browser.headers()) as resp:
        browser.last_page = await resp.text()
        return resp.status, browser.last_page


async def test_aliases_are_added_by_handle_removed_and_reach_the_followers(make_instance: Callable[..., Any]) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0]) as a,
        make_instance(PEER_ADDRESSES[1]) as b,
    ):
        lotte = await create_account(a.pool, a.settings, username="lotte", password=PASSWORD)
        old = await create_local_actor(b.pool, b.settings, kind="Person", username="lotte")
        bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
        await follows.follow(federating(b), bob, lotte.ap_id)

        async def followed() -> bool:
            found = await actor_store.actor_by_ap_id(b.pool, lotte.ap_id)
            return found is not None and await follow_store.follow_state(b.pool, bob.id, found.id) == "accepted"

        assert await wait_for(followed)
        assert await aliases_seen_by(b, lotte.ap_id) == ()

        async with PageClient(a) as browser:
            await browser.login("lotte")
            status, page = await browser.get("/settings")
            assert status == 200 and 'href="/settings/moving"' in page
            status, page = await browser.get(PAGE)
            assert status == 200 and "Moving here from another server" in page and "has no aliases" in page

            for typed, error in (
                ("", "Give the address of your old account."),
                (f"niemand@{b.settings.domain}", "No account was found at this address."),
                ("lotte", "Give an address like name@server.example"),
                (f"lotte@{a.settings.domain}", "That is this account itself."),
                (b.url("/actors/niemand"), "That account could not be reached."),
            ):
                status, page, _ = await browser.submit(f"{PAGE}/aliases", {"alias": typed}, from_page=PAGE)
                assert status == 400 and error in page, (typed, page)
                assert 'id="f-alias-error"' in page

            status, page, _ = await browser.submit(
                f"{PAGE}/aliases", {"alias": f"@lotte@{b.settings.domain}"}, from_page=PAGE
            )
            assert status == 200 and old.ap_id in page and "Saved." in page
            stored = await actor_store.actor_by_id(a.pool, lotte.id)
            assert stored is not None and stored.also_known_as == (old.ap_id,)
            assert await wait_for(lambda: _aliases_are(b, lotte.ap_id, (old.ap_id,)))

            status, page, _ = await browser.submit(f"{PAGE}/aliases/remove", {"alias": old.ap_id}, from_page=PAGE)
            assert status == 200 and "has no aliases" in page
            assert await wait_for(lambda: _aliases_are(b, lotte.ap_id, ()))

            # the old account's profile URL names it too (its server serves the actor there)
            profile = b.url("/@lotte")
            assert profile != old.ap_id
            status, page, _ = await browser.submit(f"{PAGE}/aliases", {"alias": profile}, from_page=PAGE)
            assert status == 200 and old.ap_id in page and "Saved." in page
            stored = await actor_store.actor_by_id(a.pool, lotte.id)
            assert stored is not None and stored.also_known_as == (old.ap_id,)

        async with PageClient(a, language="nl") as dutch:
            await dutch.login("lotte")
            status, page, _ = await dutch.submit(f"{PAGE}/aliases", {"alias": ""}, from_page=PAGE)
            assert status == 400 and "Geef het adres van je oude account." in page
            assert "Hierheen verhuizen vanaf een andere server" in page


async def _aliases_are(inst: Instance, ap_id: str, expected: tuple[str, ...]) -> bool:
    return await aliases_seen_by(inst, ap_id) == expected


async def test_a_resident_moves_away_only_to_an_account_that_lists_them(make_instance: Callable[..., Any]) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0]) as a,
        make_instance(PEER_ADDRESSES[1]) as b,
    ):
        lotte = await create_account(a.pool, a.settings, username="lotte", password=PASSWORD)
        new = await create_local_actor(b.pool, b.settings, kind="Person", username="lotte")
        fan = await create_local_actor(b.pool, b.settings, kind="Person", username="fan")
        await follows.follow(federating(b), fan, lotte.ap_id)
        handle = f"lotte@{b.settings.domain}"

        async def follows_new() -> bool:
            return await follow_store.follow_state(b.pool, fan.id, new.id) == "accepted"

        async with PageClient(a) as browser:
            await browser.login("lotte")
            move = f"{PAGE}/move"
            status, page, _ = await browser.submit(move, {"target": handle, "password": "wrong"}, from_page=PAGE)
            assert status == 400 and "This is not your current password." in page
            status, page, _ = await browser.submit(move, {"target": handle, "password": PASSWORD}, from_page=PAGE)
            assert status == 400 and "does not list this account as an alias yet" in page
            assert (await actor_store.actor_by_id(a.pool, lotte.id)).moved_to is None  # type: ignore[union-attr]

            await portability_store.set_also_known_as(b.pool, new.id, [lotte.ap_id])
            status, page, _ = await browser.submit(move, {"target": handle, "password": PASSWORD}, from_page=PAGE)
            assert status == 200 and f"This account has moved to {new.ap_id}" in page
            assert "Move this account to another server" not in page
            moved = await actor_store.actor_by_id(a.pool, lotte.id)
            assert moved is not None and moved.moved_to == new.ap_id
        assert await wait_for(follows_new, timeout=20)


async def imports_finished(inst: Instance, actor_id: int) -> bool:
    imports = await list_import_store.imports_of(inst.pool, actor_id, 10)
    return bool(imports) and all(i.finished_at is not None for i in imports)


async def test_follow_and_block_exports_are_imported_in_the_background(make_instance: Callable[..., Any]) -> None:
    async with make_instance(PEER_ADDRESSES[0]) as a, make_instance(PEER_ADDRESSES[1]) as b:
        lotte = await create_account(a.pool, a.settings, username="lotte", password=PASSWORD)
        buurt = await create_local_actor(a.pool, a.settings, kind="Group", username="oosterpark")
        spam = await create_local_actor(a.pool, a.settings, kind="Person", username="spam")
        bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
        domain = a.settings.domain
        async with PageClient(a) as browser:
            await browser.login("lotte")
            follows_csv = (
                "\ufeffAccount address,Show boosts,Notify on new posts,Languages\n"
                f"oosterpark@{domain},true,false,\nniemand@{domain},true,false,\nnot an address\n"
                f"bob@{b.settings.domain},true,false,\n"
            ).encode()
            status, page = await upload(browser, "follows", follows_csv)
            assert status == 200, page
            assert "The import has started. Accounts in the list: 3." in page
            assert await wait_for(lambda: imports_finished(a, lotte.id))
            status, page = await browser.get(PAGE)
            assert "Finished: 4 of 4 done." in page
            assert "Followed: 2. Already followed: 0. Not followed: 2." in page
            assert f"niemand@{domain}: no such account" in page and "line 4: not an account address" in page
            assert await follow_store.follow_state(a.pool, lotte.id, buurt.id) == "accepted"
            remote_bob = await actor_store.actor_by_ap_id(a.pool, bob.ap_id)  # resolved on b with WebFinger
            assert remote_bob is not None and await follow_store.follow_state(a.pool, lotte.id, remote_bob.id)
            status, page = await upload(browser, "follows", follows_csv)
            assert await wait_for(lambda: imports_finished(a, lotte.id))
            status, page = await browser.get(PAGE)
            assert "Followed: 0. Already followed: 2. Not followed: 2." in page

            # more than 1000 accounts: queued whole, worked in the background
            blocks_csv = f"spam@{domain}\n" + "".join(f"n{i}@{domain}\n" for i in range(1000))
            status, page = await upload(browser, "blocks", blocks_csv.encode())
            assert status == 200 and "The import has started. Accounts in the list: 1001." in page
            assert await wait_for(lambda: imports_finished(a, lotte.id), timeout=60)
            status, page = await browser.get(PAGE)
            assert "Finished: 1001 of 1001 done." in page
            assert "Blocked: 1. Already blocked: 0. Not blocked: 1000." in page
            assert f"n0@{domain}: no such account" in page and f"n49@{domain}:" in page
            assert f"n50@{domain}:" not in page and "Not listed here: 950 more." in page
            assert await moderation_store.is_blocked_by(a.pool, lotte.id, spam.id)

            # one unfinished import of a kind at a time (this one is leased by another process)
            waiting = await list_import_store.start_import(a.pool, lotte.id, "blocks", [f"spam@{domain}"])
            await a.pool.execute(
                "UPDATE list_import_rows SET locked_until = now() + interval '1 hour' WHERE import_id = $1", waiting
            )
            status, page = await upload(browser, "blocks", f"spam@{domain}\n".encode())
            assert status == 400 and "An import of this kind is still running." in page
            assert 'id="f-blocks-file-error"' in page and "Running: 0 of 1 done." in page
            await a.pool.execute("DELETE FROM list_imports WHERE id = $1", waiting)

            for data, status_expected, error in (
                (b"\xff\xfe\x00\x01 binary", 400, "This is not a CSV text file."),
                (b"hello world\n", 400, "No account addresses were found in this file."),
                (None, 400, "Choose a file."),
                (b"a@b.example\n" * 179_000, 400, "This file is too large: at most 2 MB."),  # over 2 MB, under the cap
                (b"x" * (3 * 1024 * 1024), 413, "This file is too large: at most 2 MB."),  # over the body cap
                ("".join(f"n{i}@x.example\n" for i in range(10_001)).encode(), 400, "more than 10000 accounts"),
            ):
                status, page = await upload(browser, "blocks", data)
                assert status == status_expected and error in page, (status, error)
                assert 'id="f-blocks-file-error"' in page
            async with browser.session.post(a.url(f"{PAGE}/blocks"), data={"file": "x"}) as resp:
                assert resp.status == 403  # no CSRF token

        async with PageClient(a, language="nl") as dutch:
            await dutch.login("lotte")
            status, page = await dutch.get(PAGE)
            assert "Recente imports" in page and "Klaar: 1001 van 1001 gedaan." in page
            assert "Niet hier vermeld: nog 950." in page


async def test_a_running_import_is_stopped_and_a_new_one_can_start(make_instance: Callable[..., Any]) -> None:
    """No process works the queue here (workers=0): the page's "Stop this import" ends the
    queued addresses as stopped, keeps what was done, and frees the kind for a new upload."""
    async with make_instance(PEER_ADDRESSES[0], workers=0) as a:
        lotte = await create_account(a.pool, a.settings, username="lotte", password=PASSWORD)
        await create_account(a.pool, a.settings, username="anna", password=PASSWORD)
        domain = a.settings.domain
        async with PageClient(a) as browser:
            await browser.login("lotte")
            follows_csv = "".join(f"n{i}@{domain}\n" for i in range(3)).encode()
            status, page = await upload(browser, "follows", follows_csv)
            assert status == 200 and "The import has started. Accounts in the list: 3." in page
            [running] = await list_import_store.imports_of(a.pool, lotte.id, 10)
            # one address done by a worker before the stop
            [first] = await list_import_store.claim_addresses(a.pool, 60, 1)
            assert await list_import_store.record_address(a.pool, running.id, first.position, "done")
            status, page = await browser.get(PAGE)
            stop = f"{PAGE}/imports/{running.id}/stop"
            assert "Running: 1 of 3 done." in page and f'action="{stop}"' in page and "Stop this import" in page

            async with browser.session.post(a.url(stop), data={}, allow_redirects=False) as resp:
                assert resp.status == 403  # no CSRF token
            async with browser.session.post(a.url(stop), allow_redirects=False) as resp:
                assert resp.status == 400  # not a form
            for path in (f"{PAGE}/imports/x1/stop", f"{PAGE}/imports/{running.id + 1000}/stop"):
                status, _, _ = await browser.submit(path, {}, from_page=PAGE)
                assert status == 404
            async with PageClient(a) as anna:  # someone else's import
                await anna.login("anna")
                status, _, _ = await anna.submit(stop, {}, from_page=PAGE)
                assert status == 404
            assert (await list_import_store.imports_of(a.pool, lotte.id, 10))[0].finished_at is None

            status, page, resp = await browser.submit(stop, {}, from_page=PAGE)
            assert status == 200 and resp.url.query.get("stopped") == str(running.id)
            assert "The import has stopped. Accounts not handled: 2." in page
            assert "Stopped: 1 of 3 done." in page and "Not handled because the import was stopped: 2." in page
            assert "Followed: 1. Already followed: 0. Not followed: 0." in page
            assert "Stop this import" not in page
            states = await a.pool.fetch(
                "SELECT state FROM list_import_rows WHERE import_id = $1 ORDER BY position", running.id
            )
            assert [r["state"] for r in states] == ["done", "stopped", "stopped"]
            assert await list_import_store.claim_addresses(a.pool, 60, 10) == []

            status, page, _ = await browser.submit(stop, {}, from_page=PAGE)  # a second click
            assert status == 200 and "This import had finished already." in page

            status, page = await upload(browser, "follows", follows_csv)  # the kind is free again
            assert status == 200 and "The import has started. Accounts in the list: 3." in page

        async with PageClient(a, language="nl") as dutch:
            await dutch.login("lotte")
            status, page = await dutch.get(PAGE)
            assert "Gestopt: 1 van 3 gedaan." in page and "Niet verwerkt omdat het importeren is gestopt: 2." in page
            assert "Dit importeren stoppen" in page  # the new import runs
