"""The report lists show the reported posts' text, sanitised, so a moderator can judge
without opening each post — and only to a reader who may see that post."""

from __future__ import annotations

from server.domain import membership
from server.domain.group_posts import post_to_neighbourhood
from server.domain.moderation import report
from server.domain.posts import create_note
from tests.harness import Instance, federating
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in


async def test_moderators_read_the_reported_text_sanitised(instance: Instance) -> None:
    fed = federating(instance)
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert"), signed_in(instance, "carla"):
            bert, carla = await actor(instance, "bert"), await actor(instance, "carla")
            await membership.join(fed, bert, group)
            post = await post_to_neighbourhood(
                fed, bert, group, "Gestolen fietsen, spotgoedkoop <script>alert(1)</script>"
            )
            await report(fed, carla, [post.ap_id], "heler", group=group)
        for path in ("/neighbourhoods/oost/moderation", "/admin/federation"):
            status, page = await admin.get(path)
            assert status == 200 and "heler" in page
            assert "Gestolen fietsen, spotgoedkoop" in page and "@bert@" in page, path
            assert "<script>alert(1)" not in page


async def test_a_post_the_reader_may_not_see_is_never_shown(instance: Instance) -> None:
    fed = federating(instance)
    async with signed_in(instance, "beheer", admin=True) as admin, signed_in(instance, "dora"):
        dora = await actor(instance, "dora")
        async with signed_in(instance, "emma"):
            emma = await actor(instance, "emma")
            secret = await create_note(
                fed,
                dora,
                f"alleen voor emma: geheime code 4711 @{emma.username}",
                visibility="direct",
                mentions=[emma.ap_id],
            )
            await report(fed, emma, [secret.ap_id], "ongewenst bericht")
            public = await create_note(fed, dora, "openbare oproep tot ruzie")
            await report(fed, emma, [public.ap_id], "ruzie zoeken")
        status, page = await admin.get("/admin/federation")
        assert status == 200 and "ongewenst bericht" in page and "ruzie zoeken" in page
        assert "openbare oproep tot ruzie" in page
        assert "geheime code 4711" not in page
