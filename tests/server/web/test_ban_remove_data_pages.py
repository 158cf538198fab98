"""The manage page's "Also remove their posts in this neighbourhood" checkbox on each Ban
form: ticked, the ban removes the member's posts in the neighbourhood (each logged as a
moderator's removal, as a remote moderator's `removeData` does); not ticked, or on a plain
removal, the posts stay."""

from __future__ import annotations

import re

from server.domain.group_posts import post_to_neighbourhood
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from tests.harness import Instance, federating
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in

MANAGE = "/neighbourhoods/oost/manage"


async def _state(instance: Instance, group_id: int, ap_id: str) -> str | None:
    post = await neighbourhood_store.group_post(instance.pool, group_id, ap_id)
    return post.state if post is not None else None


async def test_the_ban_form_has_a_labelled_checkbox(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        async with signed_in(instance, "bert") as bert:
            await bert.submit("/follow", {"target": (await actor(instance, "oost")).ap_id}, from_page="/@oost")
            _, page = await admin.get(MANAGE)
            box = re.search(r'<input type="checkbox" id="([^"]+)" name="remove_data" value="1">', page)
            assert box is not None
            assert f'<label for="{box.group(1)}">Also remove their posts in this neighbourhood</label>' in page
            admin.language = "nl"
            _, page = await admin.get(MANAGE)
            assert "Verwijder ook hun berichten in deze buurt" in page


async def test_a_ban_with_the_checkbox_removes_the_members_posts(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert") as bert, signed_in(instance, "carla") as carla:
            for browser in (bert, carla):
                await browser.submit("/follow", {"target": group.ap_id}, from_page="/@oost")
            bert_row, carla_row = await actor(instance, "bert"), await actor(instance, "carla")
            fed = federating(instance)
            berts = [await post_to_neighbourhood(fed, bert_row, group, f"Koop nu {i}") for i in range(3)]
            carlas = [await post_to_neighbourhood(fed, carla_row, group, f"Hallo buren {i}") for i in range(2)]
            for post in (*berts, *carlas):
                assert await _state(instance, group.id, post.ap_id) == "announced"

            # a plain removal ignores the checkbox; a ban without it leaves the posts
            await admin.submit(MANAGE + "/remove", {"member": carla_row.ap_id, "remove_data": "1"}, from_page=MANAGE)
            await admin.submit(MANAGE + "/remove", {"member": carla_row.ap_id, "ban": "1"}, from_page=MANAGE)
            for post in carlas:
                assert await _state(instance, group.id, post.ap_id) == "announced"

            status, _, _ = await admin.submit(
                MANAGE + "/remove",
                {"member": bert_row.ap_id, "ban": "1", "remove_data": "1", "reason": "reclame"},
                from_page=MANAGE,
            )
            assert status == 200
            for post in berts:
                assert await _state(instance, group.id, post.ap_id) == "removed"
                row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
                assert row is not None and row.deleted_at is not None
            for post in carlas:
                assert await _state(instance, group.id, post.ap_id) == "announced"
            logged = await instance.pool.fetch(
                "SELECT target, reason FROM moderation_log WHERE action = 'remove_post' ORDER BY id"
            )
            assert sorted(r["target"] for r in logged) == sorted(p.ap_id for p in berts)
            assert {r["reason"] for r in logged} == {"reclame"}
            actions = await instance.pool.fetch("SELECT action FROM moderation_log WHERE target = $1", bert_row.ap_id)
            assert [r["action"] for r in actions] == ["ban_member"]
        _, page = await admin.get("/neighbourhoods/oost/moderation")
        assert page.count("remove_post") >= 3
