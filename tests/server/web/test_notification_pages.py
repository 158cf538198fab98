"""The notifications page: what happened, with the unread count in the navigation, only
ever showing what the reader may read; marking as read."""

from __future__ import annotations

from urllib.parse import quote

from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.storage import actors as actor_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


async def test_a_reply_shows_as_an_unread_notification_until_marked_read(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        await bram.register("bram")
        status, page, _ = await anna.submit("/compose", {"content": "Wie leent me een ladder?", "visibility": "public"})
        ap_id = page.split('name="uri" value="', 1)[1].split('"', 1)[0]
        status, page = await anna.get("/notifications")
        assert status == 200 and "No notifications." in page and "unread" not in page
        await bram.submit(
            "/compose",
            {"content": "Ik heb er een", "in_reply_to": ap_id, "visibility": "public"},
            from_page="/post?uri=" + quote(ap_id, safe=""),
        )
        status, page = await anna.get("/notifications")
        assert status == 200 and "bram replied to your post" in page and "Ik heb er een" in page
        assert "(1 unread)" in page
        status, page, _ = await anna.submit(
            "/notifications/read", {"up_to": "99999999999999999999999"}, from_page="/notifications"
        )
        assert status == 200 and "(1 unread)" in page  # not a row id: nothing changes, no error
        status, page = await anna.get("/notifications?before=99999999999999999999999")
        assert status == 200
        status, page, _ = await anna.submit("/notifications/read", {"up_to": "999999"}, from_page="/notifications")
        assert status == 200 and "bram replied to your post" in page and "(1 unread)" not in page
        anna.language = "nl"
        status, page = await anna.get("/notifications")
        assert "bram reageerde op je bericht" in page


async def test_a_notification_about_a_post_the_reader_may_not_see_is_not_shown(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        anna_row = await actor_store.local_actor(open_instance.pool, "anna")
        bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
        assert anna_row is not None
        secret = await publish_draft(federating(open_instance), bram, Draft(text="geheim", visibility="followers"))
        await open_instance.pool.execute(
            "INSERT INTO notifications (recipient_id, kind, actor_id, object_ap_id) VALUES ($1, 'mention', $2, $3)",
            anna_row.id,
            bram.id,
            secret.ap_id,
        )
        status, page = await anna.get("/notifications")
        assert status == 200 and "geheim" not in page and "mentioned you" not in page


async def test_visitors_are_sent_to_the_login_page(open_instance: Instance) -> None:
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get("/notifications")
        assert status == 200 and 'action="/login' in page
