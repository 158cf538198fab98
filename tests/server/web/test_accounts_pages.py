"""Accounts through the pages, security cases first: CSRF, cookies, rate limiting, the
registration modes, errors next to the field in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.domain.actors import create_account
from server.storage import account_admin
from tests.harness import Instance
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"


async def test_form_post_without_csrf_token_is_refused_and_changes_nothing(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        data = {"username": "mallory", "password": PASSWORD, "password2": PASSWORD}
        async with browser.session.post(open_instance.url("/register"), data=data) as resp:
            assert resp.status == 403
        data["csrf"] = "forged"
        async with browser.session.post(open_instance.url("/register"), data=data) as resp:
            assert resp.status == 403
    assert await account_admin.account_by_username(open_instance.pool, "mallory") is None


async def test_csrf_token_of_one_visitor_does_not_work_for_another(open_instance: Instance) -> None:
    async with PageClient(open_instance) as alice, PageClient(open_instance) as mallory:
        await alice.get("/register")
        stolen = alice.csrf()
        data = {"csrf": stolen, "username": "mallory", "password": PASSWORD, "password2": PASSWORD}
        await mallory.get("/register")
        async with mallory.session.post(open_instance.url("/register"), data=data) as resp:
            assert resp.status == 403


async def test_open_registration_signs_in_with_httponly_samesite_cookie(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        status, page, resp = await browser.submit(
            "/register", {"username": "anna", "password": PASSWORD, "password2": PASSWORD}, follow=False
        )
        assert status == 303, page
        cookie = resp.cookies["bp_session"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert not cookie["secure"]  # this test instance runs on http
        status, page = await browser.get("/settings")
        assert status == 200 and "Delete your account" in page
    rows = await open_instance.pool.fetch("SELECT token_hash FROM sessions")
    assert len(rows) == 1 and cookie.value.encode() not in bytes(rows[0]["token_hash"])


async def test_registration_errors_are_shown_next_to_the_field_in_dutch_keeping_input(
    open_instance: Instance,
) -> None:
    async with PageClient(open_instance, language="nl") as browser:
        status, page, _ = await browser.submit(
            "/register", {"username": "Bad Name!", "email": "geen-adres", "password": "kort", "password2": "anders"}
        )
    assert status == 400
    assert 'lang="nl"' in page
    assert "Dit is geen e-mailadres." in page
    assert "Het wachtwoord moet minstens 10 tekens hebben." in page
    assert "De twee wachtwoorden zijn niet gelijk." in page
    assert 'value="geen-adres"' in page and 'aria-invalid="true"' in page
    assert 'value="kort"' not in page  # passwords are never echoed back


async def test_taken_and_invalid_user_names_are_field_errors(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        assert await browser.register("anna") == 200
    async with PageClient(open_instance) as other:
        status, page, _ = await other.submit(
            "/register", {"username": "anna", "password": PASSWORD, "password2": PASSWORD}
        )
        assert status == 400 and "This user name is taken." in page
        status, page, _ = await other.submit(
            "/register", {"username": "admin", "password": PASSWORD, "password2": PASSWORD}
        )
        assert status == 400 and "some names are reserved" in page


async def test_login_is_rate_limited_per_name(open_instance: Instance) -> None:
    await create_account(open_instance.pool, open_instance.settings, username="bram", password=PASSWORD)
    async with PageClient(open_instance) as browser:
        for _ in range(5):
            assert await browser.login("bram", "wrong password!") == 401
        status, page, _ = await browser.submit("/login", {"username": "bram", "password": PASSWORD})
        assert status == 429 and "Too many failed attempts" in page


async def test_login_and_logout(open_instance: Instance) -> None:
    await create_account(open_instance.pool, open_instance.settings, username="bram", password=PASSWORD)
    async with PageClient(open_instance) as browser:
        assert await browser.login("bram") == 200
        status, page = await browser.get("/home")
        assert status == 200 and "Timeline" in page
        await browser.submit("/logout", {}, from_page="/home")
        status, page = await browser.get("/settings")
        assert "Log in" in page and "Delete your account" not in page
    assert await open_instance.pool.fetchval("SELECT count(*) FROM sessions") == 0


async def test_login_redirect_never_leaves_the_site(open_instance: Instance) -> None:
    await create_account(open_instance.pool, open_instance.settings, username="bram", password=PASSWORD)
    async with PageClient(open_instance) as browser:
        status, _, resp = await browser.submit(
            "/login", {"username": "bram", "password": PASSWORD, "next": "//evil.example/x"}, follow=False
        )
        assert status == 303 and resp.headers["Location"] == "/home"


async def test_closed_registration(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="closed") as inst, PageClient(inst) as browser:
        status, page = await browser.get("/register")
        assert "does not take new accounts" in page and 'name="password"' not in page
        status, _, _ = await browser.submit(
            "/register", {"username": "x1", "password": PASSWORD, "password2": PASSWORD}, from_page="/login"
        )
        assert status == 403
        assert await account_admin.account_by_username(inst.pool, "x1") is None


async def test_approval_registration_waits_for_an_admin(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="approval") as inst:
        await create_account(inst.pool, inst.settings, username="beheer", password=PASSWORD, is_admin=True)
        async with PageClient(inst) as newcomer:
            assert await newcomer.register("carla") == 200
            assert "waiting for approval" in newcomer.last_page
            status, page, _ = await newcomer.submit("/login", {"username": "carla", "password": PASSWORD})
            assert status == 401 and "waiting for approval" in page
        carla = await account_admin.account_by_username(inst.pool, "carla")
        assert carla is not None and carla.state == "pending"
        async with PageClient(inst) as admin:
            await admin.login("beheer")
            status, page = await admin.get("/admin")
            assert "carla" in page
            await admin.submit("/admin/approve", {"account": str(carla.id)}, from_page="/admin")
        async with PageClient(inst) as newcomer:
            assert await newcomer.login("carla") == 200


async def test_invitation_registration_needs_a_fresh_code(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="invitation") as inst:
        await create_account(inst.pool, inst.settings, username="beheer", password=PASSWORD, is_admin=True)
        async with PageClient(inst) as admin:
            await admin.login("beheer")
            _, page, _ = await admin.submit("/admin/invitations", {"note": "voor Dirk"}, from_page="/admin")
            code = page.split("<code>")[1].split("</code>")[0]
        data = {"username": "dirk", "password": PASSWORD, "password2": PASSWORD}
        async with PageClient(inst) as dirk:
            status, page, _ = await dirk.submit("/register", {**data, "invitation": "wrong"})
            assert status == 400 and "unknown, used or expired" in page
            status, _, _ = await dirk.submit("/register", {**data, "invitation": code})
            assert status == 200 and "Timeline" in dirk.last_page
        async with PageClient(inst) as eve:
            status, page, _ = await eve.submit("/register", {**data, "username": "eve", "invitation": code})
            assert status == 400 and "unknown, used or expired" in page


async def test_an_unused_invitation_can_be_revoked(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="invitation") as inst:
        await create_account(inst.pool, inst.settings, username="beheer", password=PASSWORD, is_admin=True)
        async with PageClient(inst, language="nl") as admin:
            await admin.login("beheer")
            codes = {}
            for note in ("voor Gijs", "voor Hanna"):
                _, page, _ = await admin.submit("/admin/invitations", {"note": note}, from_page="/admin")
                codes[note] = page.split("<code>")[1].split("</code>")[0]
            data = {"password": PASSWORD, "password2": PASSWORD}
            async with PageClient(inst) as hanna:
                status, _, _ = await hanna.submit(
                    "/register", {**data, "username": "hanna", "invitation": codes["voor Hanna"]}
                )
                assert status == 200
            _, page = await admin.get("/admin")
            # a button for the unused one only, named after its note, in Dutch
            assert page.count('action="/admin/invitations/revoke"') == 1
            assert "Uitnodiging „voor Gijs” intrekken" in page and "Intrekken" in page
            gijs = await inst.pool.fetchval("SELECT id FROM invitations WHERE note = 'voor Gijs'")
            hanna_row = await inst.pool.fetchval("SELECT id FROM invitations WHERE note = 'voor Hanna'")
            for invitation in (gijs, hanna_row, "abc"):
                status, page, _ = await admin.submit(
                    "/admin/invitations/revoke", {"invitation": str(invitation)}, from_page="/admin"
                )
                assert status == 200
            assert "De uitnodiging is ingetrokken" in page
            notes = {row["note"] for row in await inst.pool.fetch("SELECT note FROM invitations")}
            assert notes == {"voor Hanna"}  # a used invitation stays on record
        async with PageClient(inst) as gijs_client:
            status, page, _ = await gijs_client.submit(
                "/register", {**data, "username": "gijs", "invitation": codes["voor Gijs"]}
            )
            assert status == 400 and "unknown, used or expired" in page
        async with PageClient(inst) as stranger:  # not an administrator
            await create_account(inst.pool, inst.settings, username="ivo", password=PASSWORD)
            await stranger.login("ivo")
            hanna_row = await inst.pool.fetchval("SELECT id FROM invitations")
            status, _, _ = await stranger.submit(
                "/admin/invitations/revoke", {"invitation": str(hanna_row)}, from_page="/"
            )
            assert status == 403
            assert await inst.pool.fetchval("SELECT count(*) FROM invitations") == 1


async def test_admin_reset_link_sets_a_new_password_once(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="closed") as inst:
        await create_account(inst.pool, inst.settings, username="beheer", password=PASSWORD, is_admin=True)
        await create_account(inst.pool, inst.settings, username="fenna", password=PASSWORD)
        async with PageClient(inst) as admin:
            await admin.login("beheer")
            _, page, _ = await admin.submit("/admin/password-reset", {"username": "fenna"}, from_page="/admin")
            link = page.split("<code>")[1].split("</code>")[0].replace("&amp;", "&")
        async with PageClient(inst) as fenna:
            token = link.split("token=")[1]
            status, _, _ = await fenna.submit(
                "/password-reset", {"token": token, "password": "a new password 1"}, from_page=link
            )
            assert status == 200
            assert await fenna.login("fenna", "a new password 1") == 200
            status, _, _ = await fenna.submit(
                "/password-reset", {"token": token, "password": "another one 22"}, from_page="/login"
            )
            assert status == 404


async def test_admin_pages_are_for_admins_only(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        status, page = await browser.get("/admin")
        assert "Log in" in page  # sent to the login page
        await browser.register("gewoon")
        status, _ = await browser.get("/admin")
        assert status == 403
