"""Instance administration pages, permissions first: residents get 403 on every page and
form, forms need their CSRF token; then domain blocks (suspend | limit) with validated
domains, the allowlist, actor suspension, resolving reports, and the registration mode
changed at run time (stored in the database, used by the registration page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.storage import instance_policy
from tests.harness import Instance
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import PASSWORD, actor, signed_in

ADMIN_FORMS = {
    "/admin/domain-blocks": {"domain": "slecht.example", "severity": "suspend"},
    "/admin/domain-blocks/remove": {"domain": "slecht.example"},
    "/admin/allowlist": {"allowed_domain": "goed.example"},
    "/admin/suspensions": {"handle": "beheer"},
    "/admin/reports/resolve": {"report": "1"},
    "/admin/registration-mode": {"mode": "open"},
}


async def test_residents_get_403_on_every_admin_page_and_form(instance: Instance) -> None:
    async with PageClient(instance) as visitor:
        async with visitor.session.get(instance.url("/admin/federation"), allow_redirects=False) as resp:
            assert resp.status == 303
    async with signed_in(instance, "bewoner") as resident:
        assert (await resident.get("/admin/federation"))[0] == 403
        await resident.get("/settings")
        token = resident.csrf()
        for path, data in ADMIN_FORMS.items():
            async with resident.session.post(instance.url(path), data={"csrf": token, **data}) as resp:
                assert resp.status == 403, path
    async with signed_in(instance, "beheer", admin=True) as admin:
        await admin.get("/admin/federation")
        for path, data in ADMIN_FORMS.items():
            async with admin.session.post(instance.url(path), data=data) as resp:
                assert resp.status == 403, path  # no CSRF token
    assert not await instance_policy.is_suspended_domain(instance.pool, "slecht.example")
    assert not await instance_policy.is_allowed_domain(instance.pool, "goed.example")
    assert await instance.pool.fetchval("SELECT count(*) FROM instance_settings") == 0


async def test_domain_blocks_are_validated_listed_and_lifted(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        for bad in ("", "geen domein", "x" * 300 + ".example", "localhost"):
            status, page, _ = await admin.submit(
                "/admin/domain-blocks", {"domain": bad, "severity": "suspend"}, from_page="/admin/federation"
            )
            assert status == 400 and 'aria-invalid="true"' in page, bad
        status, page, _ = await admin.submit(
            "/admin/domain-blocks", {"domain": "slecht.example", "severity": "ban"}, from_page="/admin/federation"
        )
        assert status == 400 and "Choose one of the options." in page and 'value="slecht.example"' in page
        status, page, _ = await admin.submit(
            "/admin/domain-blocks",
            {"domain": instance.settings.domain, "severity": "suspend"},
            from_page="/admin/federation",
        )
        assert status == 400
        status, page, _ = await admin.submit(
            "/admin/domain-blocks",
            {"domain": "https://Slecht.Example/", "severity": "suspend", "reason": "spam"},
            from_page="/admin/federation",
        )
        assert status == 200 and "slecht.example" in page and "domain_suspend" in page
        assert await instance_policy.is_suspended_domain(instance.pool, "sub.slecht.example")
        await admin.submit(
            "/admin/domain-blocks", {"domain": "half.example", "severity": "limit"}, from_page="/admin/federation"
        )
        assert await instance_policy.is_limited_domain(instance.pool, "half.example")
        status, page, _ = await admin.submit(
            "/admin/domain-blocks/remove", {"domain": "slecht.example"}, from_page="/admin/federation"
        )
        assert status == 200 and "domain_unblock" in page
    assert not await instance_policy.is_suspended_domain(instance.pool, "slecht.example")


async def test_allowlist_is_shown_with_the_mode_and_kept(make_instance: Callable[..., Any]) -> None:
    async with make_instance(federation_allowlist_only=True) as inst:
        async with signed_in(inst, "beheer", admin=True) as admin:
            status, page = await admin.get("/admin/federation")
            assert status == 200 and "Allowlist-only federation is on" in page
            status, page, _ = await admin.submit(
                "/admin/allowlist",
                {"allowed_domain": "goed.example", "allow_note": "buren"},
                from_page="/admin/federation",
            )
            assert status == 200 and "goed.example" in page and "buren" in page
            assert await instance_policy.is_allowed_domain(inst.pool, "goed.example")
            await admin.submit(
                "/admin/allowlist", {"allowed_domain": "goed.example", "remove": "1"}, from_page="/admin/federation"
            )
        assert not await instance_policy.is_allowed_domain(inst.pool, "goed.example")


async def test_suspension_of_an_account_and_not_of_oneself(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        async with signed_in(instance, "lastig"):
            pass
        status, page, _ = await admin.submit("/admin/suspensions", {"handle": "beheer"}, from_page="/admin/federation")
        assert status == 400 and "You cannot suspend yourself." in page
        status, page, _ = await admin.submit("/admin/suspensions", {"handle": "niemand"}, from_page="/admin/federation")
        assert status == 400 and "We could not find this person." in page
        status, page, _ = await admin.submit(
            "/admin/suspensions", {"handle": "@lastig", "suspend_reason": "spam"}, from_page="/admin/federation"
        )
        assert status == 200 and "@lastig@" in page and "Lift the suspension of lastig@" in page
        lastig = await actor(instance, "lastig")
        assert await instance_policy.is_suspended(instance.pool, lastig.id)
        await admin.submit("/admin/suspensions", {"handle": lastig.ap_id, "lift": "1"}, from_page="/admin/federation")
        assert not await instance_policy.is_suspended(instance.pool, lastig.id)


async def test_admin_sees_and_resolves_every_open_report(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        await instance_policy.insert_report(instance.pool, "urn:report:9", None, ["https://x.example/1"], "haat")
        status, page = await admin.get("/admin/federation")
        assert "haat" in page and "Report from a remote server" in page
        report_id = await instance.pool.fetchval("SELECT id FROM reports")
        status, page, _ = await admin.submit(
            "/admin/reports/resolve", {"report": str(report_id)}, from_page="/admin/federation"
        )
        assert status == 200 and "There are no open reports." in page
        status, _, _ = await admin.submit(
            "/admin/reports/resolve", {"report": str(report_id)}, from_page="/admin/federation"
        )
        assert status == 404


async def test_registration_mode_changes_at_run_time(instance: Instance) -> None:
    assert instance.settings.registration_mode == "approval"
    async with signed_in(instance, "beheer", admin=True) as admin:
        status, page = await admin.get("/admin")
        assert 'value="approval" checked' in page
        status, _, _ = await admin.submit("/admin/registration-mode", {"mode": "anything"}, from_page="/admin")
        assert status == 400
        status, page, _ = await admin.submit("/admin/registration-mode", {"mode": "closed"}, from_page="/admin")
        assert status == 200 and 'value="closed" checked' in page and "registration mode is saved" in page
    async with PageClient(instance) as visitor:
        status, _, _ = await visitor.submit(
            "/register", {"username": "nieuw", "password": PASSWORD, "password2": PASSWORD}
        )
        assert status == 403
    async with signed_in(instance, "beheer2", admin=True) as admin:
        await admin.submit("/admin/registration-mode", {"mode": "open"}, from_page="/admin")
    async with PageClient(instance) as visitor:
        assert await visitor.register("nieuw") == 200
        assert (await visitor.get("/settings"))[0] == 200
