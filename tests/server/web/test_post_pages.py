"""The post page over plain HTTP: visibility on every read (page, thread, actions),
content warnings and alt text, the thread, like/boost, edit/delete for the author only,
reports, the members-only composer option and the data export download."""

from __future__ import annotations

import gzip
from urllib.parse import quote

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.storage import actors as actor_store
from server.storage.objects import object_by_ap_id
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


def page_of(ap_id: str) -> str:
    return "/post?uri=" + quote(ap_id, safe="")


async def resident(inst: Instance, name: str) -> actor_store.ActorRow:
    actor = await actor_store.local_actor(inst.pool, name)
    assert actor is not None
    return actor


async def test_a_private_post_is_404_to_everyone_it_is_not_for(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    secret = await publish_draft(federating(open_instance), bram, Draft(text="geheim plan", visibility="followers"))
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(page_of(secret.ap_id))
        assert status == 404 and "geheim plan" not in page
        status, page = await visitor.get(secret.ap_id)
        assert status == 404 and "geheim plan" not in page
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        status, page = await anna.get(page_of(secret.ap_id))
        assert status == 404 and "geheim plan" not in page
        status, page, _ = await anna.submit("/post/like", {"uri": secret.ap_id}, from_page="/compose")
        assert status == 404 and "geheim plan" not in page
        status, page, _ = await anna.submit("/report", {"object": secret.ap_id, "content": "x"}, from_page="/compose")
        assert status == 404 and "geheim plan" not in page
    assert await open_instance.pool.fetchval("SELECT count(*) FROM reactions") == 0
    assert await open_instance.pool.fetchval("SELECT count(*) FROM reports") == 0


async def test_content_warning_is_a_details_and_the_thread_shows_around_the_post(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    fed = federating(open_instance)
    root = await publish_draft(fed, bram, Draft(text="Wie heeft mijn kat gezien?", summary="Kat <vermist>"))
    reply = await publish_draft(fed, bram, Draft(text="Gevonden!", in_reply_to=root.ap_id))
    hidden = await publish_draft(
        fed, bram, Draft(text="prive antwoord", visibility="followers", in_reply_to=root.ap_id)
    )
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(root.ap_id)
        assert status == 200 and "<details" in page and "Kat &lt;vermist&gt;" in page
        assert "Gevonden!" in page and "prive antwoord" not in page
        status, page = await visitor.get(page_of(reply.ap_id))
        assert status == 200 and "Earlier in this conversation" in page and "Wie heeft mijn kat gezien?" in page
        status, page = await visitor.get(page_of(hidden.ap_id))
        assert status == 404


async def test_like_boost_and_report_from_the_post_page(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    post = await publish_draft(federating(open_instance), bram, Draft(text="Buurtborrel vrijdag"))
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        status, page, _ = await anna.submit("/post/like", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "1 like" in page and "You liked this post." in page
        status, page, _ = await anna.submit("/post/boost", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "1 boost" in page
        status, page, _ = await anna.submit(
            "/report", {"object": post.ap_id, "content": " "}, from_page=page_of(post.ap_id)
        )
        assert status == 400 and 'id="f-content-error"' in page
        status, page, _ = await anna.submit(
            "/report", {"object": post.ap_id, "content": "Spam"}, from_page=page_of(post.ap_id)
        )
        assert status == 200
    row = await open_instance.pool.fetchrow("SELECT target_ids, content, forwarded_to FROM reports")
    assert row is not None and list(row["target_ids"]) == [post.ap_id] and row["content"] == "Spam"
    assert row["forwarded_to"] is None  # a local post is never forwarded


async def test_only_the_author_edits_and_deletes(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        await bram.register("bram")
        status, page, _ = await anna.submit("/compose", {"content": "Eerste versie #Markt", "visibility": "public"})
        assert status == 200 and "Eerste versie" in page and ">Edit<" in page
        ap_id = page.split('name="uri" value="', 1)[1].split('"', 1)[0]
        status, page = await bram.get(f"/post/edit?uri={quote(ap_id, safe='')}")
        assert status == 404
        status, page, _ = await bram.submit("/post/delete", {"uri": ap_id, "confirm": "yes"}, from_page=page_of(ap_id))
        assert status == 403
        status, page, _ = await anna.submit(
            "/post/edit",
            {"uri": ap_id, "content": "Tweede <versie>"},
            from_page=f"/post/edit?uri={quote(ap_id, safe='')}",
        )
        assert status == 200 and "Tweede &lt;versie&gt;" in page and "Your post was changed." in page
        status, page, _ = await anna.submit("/post/delete", {"uri": ap_id}, from_page=page_of(ap_id))
        assert status == 400 and 'id="f-confirm-error"' in page
        status, _, _ = await anna.submit("/post/delete", {"uri": ap_id, "confirm": "yes"}, from_page=page_of(ap_id))
        assert status == 200
    row = await object_by_ap_id(open_instance.pool, ap_id)
    assert row is not None and row.deleted_at is not None


async def test_members_only_needs_a_neighbourhood_and_stays_with_members(open_instance: Instance) -> None:
    group = await create_local_actor(open_instance.pool, open_instance.settings, kind="Group", username="oosterpark")
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        status, page, _ = await anna.submit("/compose", {"content": "Alleen leden", "visibility": "members"})
        assert status == 400 and 'id="f-neighbourhood-error"' in page and "Alleen leden" in page
        fields = {"content": "Alleen leden", "visibility": "members", "neighbourhood": "oosterpark"}
        status, page, _ = await anna.submit("/compose", fields)
        assert status == 400 and "You may not post in this neighbourhood." in page  # not a member yet
        await membership.join(federating(open_instance), await resident(open_instance, "anna"), group)
        status, page, _ = await anna.submit(
            "/compose", {"content": "Alleen leden", "visibility": "members", "neighbourhood": "oosterpark"}
        )
        assert status == 200 and "Alleen leden" in page  # the author sees it
        ap_id = page.split('name="uri" value="', 1)[1].split('"', 1)[0]
    row = await object_by_ap_id(open_instance.pool, ap_id)
    assert row is not None and row.visibility == "members"
    assert row.document is not None and row.document["audience"].endswith("/oosterpark")
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(page_of(ap_id))
        assert status == 404 and "Alleen leden" not in page


async def test_a_resident_downloads_their_data(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        await anna.submit("/compose", {"content": "Mijn bericht", "visibility": "public"})
        await anna.get("/settings")
        async with anna.session.post(
            open_instance.url("/settings/export"), data={"csrf": anna.csrf()}, headers=anna.headers()
        ) as resp:
            body = await resp.read()
            assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
        assert b"Mijn bericht" in gzip.decompress(body)
        async with anna.session.post(open_instance.url("/settings/export"), data={"csrf": "wrong"}) as resp:
            assert resp.status == 403
