"""Moderation pages, permissions first: reporting needs a signed-in resident who can see
the post; a neighbourhood's queue, reports and log are for its own moderators only; then
reporting, resolving, removing a post and deciding queued posts through the forms."""

from __future__ import annotations

from server.domain import membership
from server.domain.group_posts import post_to_neighbourhood
from server.domain.posts import create_note
from server.storage import instance_policy
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from tests.harness import Instance, federating
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in


async def test_reporting_needs_a_resident_who_can_see_the_post(instance: Instance) -> None:
    async with signed_in(instance, "anna") as anna:
        private = await create_note(federating(instance), await actor(instance, "anna"), "geheim", visibility="direct")
        async with signed_in(instance, "bert") as bert:
            assert (await bert.get("/report?object=" + private.ap_id))[0] == 404
            assert (await bert.get("/report?object=https%3A%2F%2Felders.example%2Fx"))[0] == 404
            await bert.get("/settings")
            async with bert.session.post(
                instance.url("/report"), data={"csrf": bert.csrf(), "object": private.ap_id, "content": "zie ik"}
            ) as resp:
                assert resp.status == 404
        assert (await anna.get("/report?object=" + private.ap_id))[0] == 200
    async with instance.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM reports") == 0


async def test_report_is_seen_resolved_and_logged_by_the_neighbourhoods_moderator(instance: Instance) -> None:
    fed = federating(instance)
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert"):
            bert_row = await actor(instance, "bert")
            await membership.join(fed, bert_row, group)
            post = await post_to_neighbourhood(fed, bert_row, group, "fiets te koop, spotgoedkoop")
            async with signed_in(instance, "carla") as carla:
                status, page, _ = await carla.submit(
                    "/report", {"object": post.ap_id, "content": ""}, from_page="/report?object=" + post.ap_id
                )
                assert status == 400 and "Tell the moderators what is wrong" in page
                status, page, _ = await carla.submit(
                    "/report",
                    {"object": post.ap_id, "content": "gestolen fiets"},
                    from_page="/report?object=" + post.ap_id,
                )
                assert status == 200 and "Report sent" in page
                assert (await carla.get("/neighbourhoods/oost/moderation"))[0] == 403
            status, page = await admin.get("/neighbourhoods/oost/moderation")
            assert status == 200 and "gestolen fiets" in page and "Report from carla@" in page
            report_id = await instance.pool.fetchval("SELECT id FROM reports")
            async with signed_in(instance, "dirk", admin=False) as dirk:  # no moderator of oost
                await dirk.get("/settings")
                async with dirk.session.post(
                    instance.url("/neighbourhoods/oost/moderation/resolve"),
                    data={"csrf": dirk.csrf(), "report": str(report_id)},
                ) as resp:
                    assert resp.status == 403
            status, page, _ = await admin.submit(
                "/neighbourhoods/oost/moderation/remove",
                {"object": post.ap_id, "reason": "gestolen", "report": str(report_id)},
                from_page="/neighbourhoods/oost/moderation",
            )
            assert status == 200 and "There are no open reports." in page
            assert "remove_post" in page
    row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
    assert row is not None and row.deleted_at is not None
    assert await instance.pool.fetchval("SELECT resolved_at IS NOT NULL FROM reports") is True


async def test_resolving_a_report_of_another_neighbourhood_is_not_found(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        assert (await create_hood(admin, "west"))[0] == 200
        west = await actor(instance, "west")
        await instance_policy.insert_report(instance.pool, "urn:report:1", None, ["urn:x"], "elders", group_id=west.id)
        report_id = await instance.pool.fetchval("SELECT id FROM reports")
        status, _, _ = await admin.submit(
            "/neighbourhoods/oost/moderation/resolve",
            {"report": str(report_id)},
            from_page="/neighbourhoods/oost/moderation",
        )
        assert status == 404
        status, _, _ = await admin.submit(
            "/neighbourhoods/oost/moderation/resolve", {"report": "abc"}, from_page="/neighbourhoods/oost/moderation"
        )
        assert status == 400
        status, page, _ = await admin.submit(
            "/neighbourhoods/west/moderation/resolve",
            {"report": str(report_id)},
            from_page="/neighbourhoods/west/moderation",
        )
        assert status == 200 and "the report is resolved" in page and "resolve_report" in page


async def test_queued_posts_are_approved_or_rejected_by_a_moderator(instance: Instance) -> None:
    fed = federating(instance)
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "stil", posting_mode="moderated"))[0] == 200
        group = await actor(instance, "stil")
        async with signed_in(instance, "bert") as bert:
            bert_row = await actor(instance, "bert")
            await membership.join(fed, bert_row, group)
            first = await post_to_neighbourhood(fed, bert_row, group, "eerste vraag")
            second = await post_to_neighbourhood(fed, bert_row, group, "tweede vraag")
            assert (await bert.get("/neighbourhoods/stil/moderation"))[0] == 403
        status, page = await admin.get("/neighbourhoods/stil/moderation")
        assert "eerste vraag" in page and "tweede vraag" in page
        status, _, _ = await admin.submit(
            "/neighbourhoods/stil/moderation/queue",
            {"object": first.ap_id, "decision": "maybe"},
            from_page="/neighbourhoods/stil/moderation",
        )
        assert status == 400
        await admin.submit(
            "/neighbourhoods/stil/moderation/queue",
            {"object": first.ap_id, "decision": "approve"},
            from_page="/neighbourhoods/stil/moderation",
        )
        status, page, _ = await admin.submit(
            "/neighbourhoods/stil/moderation/queue",
            {"object": second.ap_id, "decision": "reject"},
            from_page="/neighbourhoods/stil/moderation",
        )
        assert status == 200 and "No posts are waiting." in page
    first_row = await neighbourhood_store.group_post(instance.pool, group.id, first.ap_id)
    second_row = await neighbourhood_store.group_post(instance.pool, group.id, second.ap_id)
    assert first_row is not None and first_row.state == "announced"
    assert second_row is not None and second_row.state == "rejected"
