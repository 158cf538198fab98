"""Lifting a neighbourhood ban from the manage page: moderators only, the banned list shows
a button, the member may ask to join again, the log says so, and a remote member's server
gets Undo{Block} and drops the group's block."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.appkeys import REMOTE
from server.domain import membership
from server.storage import memberships as membership_store
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in

MANAGE = "/neighbourhoods/oost/manage"


async def test_a_moderator_lifts_a_ban_and_the_member_may_join_again(instance: Instance) -> None:
    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert") as bert:
            await bert.submit("/follow", {"target": group.ap_id}, from_page="/@oost")
            bert_row = await actor(instance, "bert")
            await admin.submit(MANAGE + "/remove", {"member": bert_row.ap_id, "ban": "1"}, from_page=MANAGE)
            _, page = await admin.get(MANAGE)
            assert "Lift the ban on bert@" in page and 'action="/neighbourhoods/oost/manage/unban"' in page

            # neither the banned member nor anyone but a moderator can lift it
            status, _, _ = await bert.submit(MANAGE + "/unban", {"member": bert_row.ap_id}, from_page="/home")
            assert status == 403
            async with PageClient(instance) as visitor:
                await visitor.get("/login")
                data = {"csrf": visitor.csrf(), "member": bert_row.ap_id}
                post = visitor.session.post(instance.url(MANAGE + "/unban"), data=data, headers=visitor.headers())
                async with post as resp:
                    assert "Log in" in await resp.text()
            assert (await membership_store.membership(instance.pool, group.id, bert_row.id)).state == "banned"

            status, page, _ = await admin.submit(MANAGE + "/unban", {"member": bert_row.ap_id}, from_page=MANAGE)
            assert status == 200 and "The ban is lifted." in page and "Lift the ban on bert@" not in page
            assert await membership_store.membership(instance.pool, group.id, bert_row.id) is None
            status, _, _ = await admin.submit(MANAGE + "/unban", {"member": bert_row.ap_id}, from_page=MANAGE)
            assert status == 404  # not banned any more
            assert await membership.join(federating(instance), bert_row, group) == "accepted"
        _, page = await admin.get("/neighbourhoods/oost/moderation")
        assert "unban_member" in page


async def test_lifting_a_ban_on_a_remote_member_sends_undo_block(make_instance: Callable[..., Any]) -> None:
    async with make_instance(PEER_ADDRESSES[0]) as a, make_instance(PEER_ADDRESSES[1]) as b:
        async with signed_in(a, "beheer", admin=True) as admin:
            assert (await create_hood(admin, "oost"))[0] == 200
            group = await actor(a, "oost")
            async with signed_in(b, "rita"):
                rita = await actor(b, "rita")
            group_on_b = await b.app[REMOTE].actor(group.ap_id)
            assert group_on_b is not None
            await membership.join(federating(b), rita, group_on_b)

            async def rita_on_a() -> Any:
                from server.storage.actors import actor_by_ap_id

                found = await actor_by_ap_id(a.pool, rita.ap_id)
                row = await membership_store.membership(a.pool, group.id, found.id) if found else None
                return found if row is not None and row.state == "accepted" else None

            remote_rita = await wait_for(rita_on_a)
            await admin.submit(MANAGE + "/remove", {"member": rita.ap_id, "ban": "1"}, from_page=MANAGE)

            async def blocks_on_b() -> int:
                return int(
                    await b.pool.fetchval(
                        "SELECT count(*) FROM actor_blocks WHERE blocker_id = $1 AND blocked_id = $2",
                        group_on_b.id,
                        rita.id,
                    )
                )

            await wait_for(blocks_on_b)
            status, page, _ = await admin.submit(MANAGE + "/unban", {"member": remote_rita.ap_id}, from_page=MANAGE)
            assert status == 200 and "The ban is lifted." in page

            async def unblocked() -> bool:
                return await blocks_on_b() == 0

            await wait_for(unblocked)


async def test_a_moderator_bans_for_a_week_and_the_ban_ends_by_itself(instance: Instance) -> None:
    from datetime import UTC, datetime, timedelta

    from server.ban_expiry_task import end_bans_once

    async with signed_in(instance, "beheer", admin=True) as admin:
        assert (await create_hood(admin, "oost"))[0] == 200
        group = await actor(instance, "oost")
        async with signed_in(instance, "bert") as bert:
            await bert.submit("/follow", {"target": group.ap_id}, from_page="/@oost")
            bert_row = await actor(instance, "bert")
            _, page = await admin.get(MANAGE)
            assert 'name="ban_days"' in page and "How long to ban bert@" in page
            before = datetime.now(UTC)
            await admin.submit(
                MANAGE + "/remove", {"member": bert_row.ap_id, "ban": "1", "ban_days": "7"}, from_page=MANAGE
            )
            until = await instance.pool.fetchval(
                "SELECT banned_until FROM memberships WHERE group_id = $1 AND member_id = $2", group.id, bert_row.id
            )
            assert before + timedelta(days=7) <= until <= datetime.now(UTC) + timedelta(days=7)
            _, page = await admin.get(MANAGE)
            assert "Lift the ban on bert@" in page and "(until " in page
            assert await membership.join(federating(instance), bert_row, group) == "rejected"

            # the week passes: the ban is gone, logged, and bert may join again
            await instance.pool.execute(
                "UPDATE memberships SET banned_until = now() - interval '1 second' WHERE banned_until IS NOT NULL"
            )
            _, page = await admin.get(MANAGE)
            assert "Lift the ban on bert@" not in page
            await end_bans_once(federating(instance))  # (or the instance's own background pass)
            assert await membership.join(federating(instance), bert_row, group) == "accepted"
        _, page = await admin.get("/neighbourhoods/oost/moderation")
        assert page.count("ban_expired") == 1
