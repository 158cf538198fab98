"""Organiser pages, permissions first: only instance admins create neighbourhoods, only a
neighbourhood's own moderators manage it, every form needs its CSRF token; then the
profile (with a validated GeoJSON boundary), membership requests, roles, invitations,
removal and bans, and the members count on the neighbourhood page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.domain import membership
from server.domain.actors import create_account
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"
SQUARE = '{"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.95, 52.3], [4.95, 52.35], [4.9, 52.3]]]}'


@asynccontextmanager
async def signed_in(inst: Instance, username: str, *, admin: bool = False) -> AsyncIterator[PageClient]:
    """A browser signed in as a new resident (or instance admin) called `username`."""
    await create_account(inst.pool, inst.settings, username=username, password=PASSWORD, is_admin=admin)
    async with PageClient(inst) as browser:
        assert await browser.login(username, PASSWORD) == 200
        yield browser


async def actor(inst: Instance, username: str) -> ActorRow:
    found = await actor_store.local_actor(inst.pool, username)
    assert found is not None
    return found


async def create_hood(browser: PageClient, username: str, **fields: str) -> tuple[int, str]:
    data = {"username": username, "name": fields.pop("name", username.title()), **fields}
    data.setdefault("membership_mode", "open")
    data.setdefault("posting_mode", "members")
    status, page, _ = await browser.submit("/neighbourhoods/new", data)
    return status, page


async def test_residents_cannot_create_neighbourhoods_and_forms_need_csrf(instance: Instance) -> None:
    async with PageClient(instance) as visitor:
        async with visitor.session.get(instance.url("/neighbourhoods/new"), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")
    async with signed_in(instance, "bewoner") as resident:
        status, _ = await resident.get("/neighbourhoods/new")
        assert status == 403
        await resident.get("/settings")
        async with resident.session.post(
            instance.url("/neighbourhoods/new"), data={"csrf": resident.csrf(), "username": "stiekem", "name": "x"}
        ) as resp:
            assert resp.status == 403
    async with signed_in(instance, "beheer", admin=True) as admin:
        await admin.get("/neighbourhoods/new")
        async with admin.session.post(
            instance.url("/neighbourhoods/new"), data={"username": "zonder", "name": "Zonder token"}
        ) as resp:
            assert resp.status == 403
    assert await actor_store.local_actor(instance.pool, "stiekem") is None
    assert await actor_store.local_actor(instance.pool, "zonder") is None


async def test_bad_profile_values_are_field_errors_that_keep_what_was_typed(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        status, page = await create_hood(admin, "oost", boundary="{not json", avatar_url="javascript:alert(1)")
        assert status == 400 and "The boundary is not valid JSON." in page and "{not json" in page
        status, page = await create_hood(
            admin, "oost", boundary='{"type": "Polygon", "coordinates": [[[200, 0], [0, 0], [0, 1], [200, 0]]]}'
        )
        assert status == 400 and "GeoJSON Polygon or MultiPolygon" in page and 'aria-invalid="true"' in page
        status, page = await create_hood(admin, "oost", avatar_url="javascript:alert(1)")
        assert status == 400 and "Give an http(s) address" in page
        status, page = await create_hood(admin, "oost", membership_mode="secret")
        assert status == 400 and "Choose one of the options." in page
        status, page = await create_hood(admin, "Bad Name!")
        assert status == 400 and "some names are reserved" in page
    assert await actor_store.local_actor(instance.pool, "oost") is None


async def test_admin_creates_a_neighbourhood_and_becomes_its_moderator(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        status, page = await create_hood(
            admin, "oost", name="Oost", area_name="Oosterpark", boundary=SQUARE, membership_mode="approval"
        )
        assert status == 200 and "Manage Oost" in page
        group = await actor(instance, "oost")
        hood = await neighbourhood_store.neighbourhood_by_actor_id(instance.pool, group.id)
        assert hood is not None and hood.area_name == "Oosterpark" and hood.membership_mode == "approval"
        assert hood.boundary is not None and hood.boundary["type"] == "Polygon"
        status, page = await admin.get("/@oost")
        assert status == 200 and "1 member" in page and "/neighbourhoods/oost/manage" in page
        status, page, _ = await admin.submit(
            "/neighbourhoods/oost/manage/profile",
            {
                "name": "Oost-Centrum",
                "description": "Voor iedereen",
                "area_name": "Oosterpark",
                "membership_mode": "open",
                "posting_mode": "moderated",
                "boundary": "",
            },
            from_page="/neighbourhoods/oost/manage",
        )
        assert status == 200 and "profile is saved" in page
    hood = await neighbourhood_store.neighbourhood_by_actor_id(instance.pool, group.id)
    assert hood is not None and hood.posting_mode == "moderated" and hood.boundary is None
    assert (await actor(instance, "oost")).name == "Oost-Centrum"


async def test_only_this_neighbourhoods_moderators_manage_it(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        assert (await create_hood(admin, "west"))[0] == 200
    west = await actor(instance, "west")
    async with signed_in(instance, "willem") as willem:
        willem_row = await _joined(instance, "willem", west)
        await membership.set_role(federating(instance), await actor(instance, "beheer"), west, willem_row, "moderator")
        assert (await willem.get("/neighbourhoods/west/manage"))[0] == 200
        assert (await willem.get("/neighbourhoods/oost/manage"))[0] == 403
        assert (await willem.get("/neighbourhoods/oost/moderation"))[0] == 403
        await willem.get("/neighbourhoods/west/manage")
        async with willem.session.post(
            instance.url("/neighbourhoods/oost/manage/profile"), data={"csrf": willem.csrf(), "name": "Overgenomen"}
        ) as resp:
            assert resp.status == 403
        assert (await willem.get("/neighbourhoods/niemand/manage"))[0] == 404
    assert (await actor(instance, "oost")).name != "Overgenomen"


async def _joined(inst: Instance, username: str, group: ActorRow) -> ActorRow:
    member = await actor(inst, username)
    assert await membership.join(federating(inst), member, group) == "accepted"
    return member


async def test_requests_roles_removal_and_bans(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost", membership_mode="approval"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert") as bert:
            status, page, _ = await bert.submit("/follow", {"target": group.ap_id}, from_page="/@oost")
            assert status == 200 and "waiting for approval" in page
            assert (await bert.get("/neighbourhoods/oost/manage"))[0] == 403  # members are not moderators
        bert_row = await actor(instance, "bert")
        status, page = await admin.get("/neighbourhoods/oost/manage")
        assert "Approve bert@" in page, page[page.find("requests-heading") : page.find("members-heading")]
        status, page, _ = await admin.submit(
            "/neighbourhoods/oost/manage/request",
            {"member": bert_row.ap_id, "decision": "approve"},
            from_page="/neighbourhoods/oost/manage",
        )
        assert status == 200 and "2 members" in (await admin.get("/@oost"))[1]
        await admin.submit(
            "/neighbourhoods/oost/manage/role",
            {"member": bert_row.ap_id, "role": "moderator"},
            from_page="/neighbourhoods/oost/manage",
        )
        row = await membership_store.membership(instance.pool, group.id, bert_row.id)
        assert row is not None and row.is_moderator
        status, _, _ = await admin.submit(
            "/neighbourhoods/oost/manage/role",
            {"member": bert_row.ap_id, "role": "admin"},
            from_page="/neighbourhoods/oost/manage",
        )
        assert status == 400
        status, _, _ = await admin.submit(
            "/neighbourhoods/oost/manage/remove",
            {"member": bert_row.ap_id, "ban": "1", "reason": "spam"},
            from_page="/neighbourhoods/oost/manage",
        )
        assert status == 200
        row = await membership_store.membership(instance.pool, group.id, bert_row.id)
        assert row is not None and row.state == "banned"
        assert await membership.join(federating(instance), bert_row, group) == "rejected"
        status, page = await admin.get("/neighbourhoods/oost/moderation")
        assert "ban_member" in page and "approve_member" in page


async def test_invitations_let_residents_into_invitation_only_neighbourhoods(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "besloten", membership_mode="invitation"))[0] == 200
        group = await actor(instance, "besloten")
        await create_account(instance.pool, instance.settings, username="carla", password=PASSWORD)
        status, page, _ = await admin.submit(
            "/neighbourhoods/besloten/manage/invite", {"handle": "niemand"}, from_page="/neighbourhoods/besloten/manage"
        )
        assert status == 400 and "We could not find this person." in page and 'value="niemand"' in page
        status, page, _ = await admin.submit(
            "/neighbourhoods/besloten/manage/invite", {"handle": "@carla"}, from_page="/neighbourhoods/besloten/manage"
        )
        assert status == 200 and "invitation is sent" in page and "Invited:" in page
    carla = await actor(instance, "carla")
    assert await membership.join(federating(instance), carla, group) == "accepted"
