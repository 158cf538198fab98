"""Taking back a like or a boost from the post page: the buttons toggle, everything works as
plain forms (no JavaScript, CSRF token required), and the Undo reaches the author's server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.follows import follow
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage.objects import object_by_ap_id
from tests.harness import PEER_ADDRESSES, Instance, federating, wait_for
from tests.server.web.browser_client import PageClient


def page_of(ap_id: str) -> str:
    return "/post?uri=" + quote(ap_id, safe="")


async def test_like_and_boost_toggle_on_the_post_page(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    post = await publish_draft(federating(open_instance), bram, Draft(text="Buurtborrel vrijdag"))
    async with PageClient(open_instance) as anna:
        await anna.register("anna")
        status, page, _ = await anna.submit("/post/like", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "1 like" in page and 'action="/post/unlike"' in page
        assert 'action="/post/like"' not in page
        status, page, _ = await anna.submit("/post/boost", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "1 boost" in page and 'action="/post/unboost"' in page

        status, page, _ = await anna.submit("/post/unlike", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "0 likes" in page and "You no longer like this post." in page
        assert 'action="/post/like"' in page and "1 boost" in page
        status, page, _ = await anna.submit("/post/unboost", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "0 boosts" in page and 'action="/post/boost"' in page
        # a second click (an old page) changes nothing and is no error
        status, page, _ = await anna.submit("/post/unboost", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        assert status == 200 and "0 boosts" in page
        # without the CSRF token nothing happens
        await anna.submit("/post/like", {"uri": post.ap_id}, from_page=page_of(post.ap_id))
        async with anna.session.post(open_instance.url("/post/unlike"), data={"uri": post.ap_id}) as resp:
            assert resp.status == 403
    assert await open_instance.pool.fetchval("SELECT count(*) FROM reactions WHERE kind = 'Like'") == 1
    undos = await open_instance.pool.fetch(
        "SELECT document FROM outgoing_activities WHERE document->>'type' = 'Undo' ORDER BY id"
    )
    assert [u["document"]["object"]["type"] for u in undos] == ["Like", "Announce"]


async def test_undo_needs_a_resident_who_may_see_the_post(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    secret = await publish_draft(federating(open_instance), bram, Draft(text="geheim", visibility="followers"))
    async with PageClient(open_instance) as visitor:
        status, page, _ = await visitor.submit("/post/unlike", {"uri": secret.ap_id}, from_page="/login")
        assert "Log in" in page
        await visitor.register("anna")
        status, page, _ = await visitor.submit("/post/unlike", {"uri": secret.ap_id}, from_page="/home")
        assert status == 404 and "geheim" not in page


async def test_undo_of_like_and_boost_federates_to_the_authors_server(make_instance: Callable[..., Any]) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as a,
        make_instance(PEER_ADDRESSES[1]) as b,
    ):
        bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
        async with PageClient(a) as anna_browser:
            await anna_browser.register("anna")
            anna = await actor_store.local_actor(a.pool, "anna")
            assert anna is not None
            await follow(federating(a), anna, bob.ap_id)

            async def accepted() -> bool:
                remote_bob = await actor_store.actor_by_ap_id(a.pool, bob.ap_id)
                return remote_bob is not None and await follow_store.follow_state(a.pool, anna.id, remote_bob.id) == (
                    "accepted"
                )

            await wait_for(accepted)
            post = await publish_draft(federating(b), bob, Draft(text="Wie helpt met de buurttuin?"))
            await wait_for(lambda: object_by_ap_id(a.pool, post.ap_id))

            async def kinds_on_b() -> set[str]:
                rows = await b.pool.fetch(
                    """SELECT r.kind FROM reactions r JOIN actors ac ON ac.id = r.actor_id
                       WHERE ac.ap_id = $1 AND r.object_ap_id = $2""",
                    anna.ap_id,
                    post.ap_id,
                )
                return {r["kind"] for r in rows}

            page = page_of(post.ap_id)
            assert (await anna_browser.submit("/post/like", {"uri": post.ap_id}, from_page=page))[0] == 200
            assert (await anna_browser.submit("/post/boost", {"uri": post.ap_id}, from_page=page))[0] == 200

            async def both() -> bool:
                return await kinds_on_b() == {"Like", "Announce"}

            await wait_for(both)
            assert (await anna_browser.submit("/post/unlike", {"uri": post.ap_id}, from_page=page))[0] == 200

            async def only_boost() -> bool:
                return await kinds_on_b() == {"Announce"}

            await wait_for(only_boost)
            assert (await anna_browser.submit("/post/unboost", {"uri": post.ap_id}, from_page=page))[0] == 200

            async def none_left() -> bool:
                return await kinds_on_b() == set()

            await wait_for(none_left)
