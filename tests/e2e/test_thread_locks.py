"""Locking a thread in our own neighbourhood across two real instances: a moderator locks a
post from its page (CSRF form); the post page says so and offers no reply form; the lock
reaches the member's server as Lemmy's Announce{Lock}; replies there and through the
compose form are refused with a clear message; a reply that arrives anyway (from a server
that ignores locks) is stored but not announced by the group; unlocking opens it again.
A remote moderator (a member on the other server given the moderator role) locks and
unlocks with their own Lemmy-shaped Lock and Undo{Lock}, which the group applies and
announces back to both servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.domain import membership, posts
from server.domain.compose import Draft, PostRefused, publish_draft
from server.domain.group_posts import post_to_neighbourhood
from server.domain.membership import NotAllowed
from server.domain.publish import new_activity_id, publish
from server.domain.thread_locks import lock_document
from server.storage import group_federation as group_store
from tests.e2e.test_neighbourhoods import _object, _remote, _state_is
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.server.web.test_organiser_pages import actor, create_hood, signed_in


@pytest.fixture
async def two_instances(
    database_server: str, template_database: str, tmp_path: Path
) -> AsyncIterator[tuple[Instance, Instance]]:
    async with (
        running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path / "a") as a,
        running_instance(database_server, template_database, PEER_ADDRESSES[1], tmp_path / "b") as b,
    ):
        yield a, b


async def _group_activity(inst: Instance, actor_ap_id: str, inner_type: str) -> dict[str, Any] | None:
    """The newest Announce the group sent whose inner activity has `inner_type`."""
    row = await inst.pool.fetchval(
        """SELECT a.document FROM outgoing_activities a JOIN actors g ON g.id = a.actor_id
           WHERE g.ap_id = $1 AND a.document->>'type' = 'Announce' AND a.document->'object'->>'type' = $2
           ORDER BY a.id DESC LIMIT 1""",
        actor_ap_id,
        inner_type,
    )
    return dict(row) if row is not None else None


async def _refused_on(inst: Instance, ap_id: str) -> bool:
    return bool(
        await inst.pool.fetchval("SELECT 1 FROM moderation_log WHERE action = 'post_refused' AND target = $1", ap_id)
    )


async def _locked(inst: Instance, ap_id: str, want: bool) -> bool:
    return await group_store.is_locked(inst.pool, ap_id) == want


async def test_a_moderator_locks_a_thread_and_it_holds_on_both_servers(
    two_instances: tuple[Instance, Instance],
) -> None:
    a, b = two_instances
    async with signed_in(a, "beheer", admin=True) as moderator, signed_in(a, "anna") as anna_browser:
        assert (await create_hood(moderator, "oost"))[0] == 200
        group = await actor(a, "oost")
        anna = await actor(a, "anna")
        assert await membership.join(federating(a), anna, group) == "accepted"
        async with signed_in(b, "bert"):
            bert = await actor(b, "bert")
        group_on_b = await _remote(b, group.ap_id)
        await membership.join(federating(b), bert, group_on_b)
        assert await wait_for(lambda: _state_is(b, group.ap_id, bert.ap_id, "accepted"))

        post = await post_to_neighbourhood(federating(a), anna, group, "Wie helpt zaterdag met opruimen?")
        assert await wait_for(lambda: _object(b, post.ap_id))
        page_path = "/post?uri=" + post.ap_id

        # a member sees no lock button; the moderator does
        _, page = await anna_browser.get(page_path)
        assert 'action="/post/lock"' not in page and 'action="/compose"' in page
        status, page, _ = await anna_browser.submit(
            "/post/lock", {"uri": post.ap_id, "group": "oost"}, from_page=page_path
        )
        assert status == 403 and not await group_store.is_locked(a.pool, post.ap_id)
        _, page = await moderator.get(page_path)
        assert 'action="/post/lock"' in page

        status, page, _ = await moderator.submit(
            "/post/lock", {"uri": post.ap_id, "group": "oost", "reason": "Afgerond"}, from_page=page_path
        )
        assert status == 200 and "The conversation is locked" in page
        assert "Locked" in page and 'action="/compose"' not in page and 'action="/post/unlock"' in page
        assert await group_store.is_locked(a.pool, post.ap_id)

        # Lemmy's shape: the moderator's Lock, announced by the group
        announce = await _group_activity(a, group.ap_id, "Lock")
        assert announce is not None
        lock = announce["object"]
        assert lock["actor"] == (await actor(a, "beheer")).ap_id and lock["object"] == post.ap_id
        assert lock["audience"] == group.ap_id and group.ap_id in lock["cc"] and lock["summary"] == "Afgerond"

        # the member's server applies it: replies there are refused
        assert await wait_for(lambda: _locked(b, post.ap_id, True))
        with pytest.raises(NotAllowed):
            await post_to_neighbourhood(federating(b), bert, group_on_b, "Ik help!", in_reply_to=post.ap_id)
        with pytest.raises(PostRefused):
            await publish_draft(federating(b), bert, Draft(text="Ik help!", in_reply_to=post.ap_id))

        # the compose form refuses a reply with a clear message
        status, page, _ = await anna_browser.submit(
            "/compose", {"content": "Nog één ding", "in_reply_to": post.ap_id}, from_page="/compose"
        )
        assert status == 400 and "This conversation is locked by the neighbourhood" in page

        # a reply from a server that ignores locks is stored, but the group does not relay it
        stray = await posts.create_note(
            federating(b),
            bert,
            "Toch nog een reactie",
            in_reply_to=post.ap_id,
            extra_cc=[group.ap_id],
            extra_fields={"audience": group.ap_id},
        )
        assert await wait_for(lambda: _refused_on(a, stray.ap_id))
        assert not await a.pool.fetchval(
            "SELECT 1 FROM group_posts g JOIN objects o ON o.id = g.object_id WHERE o.ap_id = $1", stray.ap_id
        )

        # unlocking opens the thread on both servers
        status, page, _ = await moderator.submit(
            "/post/unlock", {"uri": post.ap_id, "group": "oost"}, from_page=page_path
        )
        assert status == 200 and "The conversation is open again" in page and 'action="/compose"' in page
        undo = await _group_activity(a, group.ap_id, "Undo")
        assert undo is not None and undo["object"]["object"]["type"] == "Lock"
        assert await wait_for(lambda: _locked(b, post.ap_id, False))
        reply = await post_to_neighbourhood(federating(b), bert, group_on_b, "Ik help!", in_reply_to=post.ap_id)
        assert await wait_for(lambda: _object(a, reply.ap_id))


async def test_a_remote_moderator_locks_and_unlocks_a_thread_of_our_neighbourhood(
    two_instances: tuple[Instance, Instance],
) -> None:
    a, b = two_instances
    async with signed_in(a, "beheer", admin=True) as moderator:
        assert (await create_hood(moderator, "west"))[0] == 200
    group = await actor(a, "west")
    beheer = await actor(a, "beheer")
    async with signed_in(a, "anna"), signed_in(b, "bert"):
        anna, bert = await actor(a, "anna"), await actor(b, "bert")
    assert await membership.join(federating(a), anna, group) == "accepted"
    group_on_b = await _remote(b, group.ap_id)
    await membership.join(federating(b), bert, group_on_b)
    assert await wait_for(lambda: _state_is(b, group.ap_id, bert.ap_id, "accepted"))
    bert_on_a = await _remote(a, bert.ap_id)
    assert await membership.set_role(federating(a), beheer, group, bert_on_a, "moderator")

    post = await post_to_neighbourhood(federating(a), anna, group, "Wie leent een ladder uit?")
    assert await wait_for(lambda: _object(b, post.ap_id))

    # bert, a moderator on the other server, sends Lemmy's Lock to the group
    lock = lock_document(federating(b), bert, group_on_b, post.ap_id, "Geregeld")
    async with b.pool.acquire() as conn, conn.transaction():
        lock = await publish(conn, b.settings, federating(b).keyring, bert, lock, inboxes=[group_on_b.delivery_inbox])
    assert await wait_for(lambda: _locked(a, post.ap_id, True))
    announce = await _group_activity(a, group.ap_id, "Lock")
    assert announce is not None and announce["object"]["id"] == lock["id"]
    assert announce["object"]["actor"] == bert.ap_id
    with pytest.raises(NotAllowed):
        await post_to_neighbourhood(federating(a), anna, group, "Ik heb er een", in_reply_to=post.ap_id)
    # the group's Announce reaches bert's server: replies are refused there too
    assert await wait_for(lambda: _locked(b, post.ap_id, True))
    with pytest.raises(NotAllowed):
        await post_to_neighbourhood(federating(b), bert, group_on_b, "Nog een", in_reply_to=post.ap_id)

    # Undo{Lock} from bert opens the thread on both servers
    undo = {
        "id": new_activity_id(b.settings),
        "type": "Undo",
        "actor": bert.ap_id,
        "object": {k: v for k, v in lock.items() if k not in ("@context", "proof")},
        "to": [lock["to"][0]],
        "cc": [group.ap_id],
        "audience": group.ap_id,
    }
    async with b.pool.acquire() as conn, conn.transaction():
        await publish(conn, b.settings, federating(b).keyring, bert, undo, inboxes=[group_on_b.delivery_inbox])
    assert await wait_for(lambda: _locked(a, post.ap_id, False))
    relayed = await _group_activity(a, group.ap_id, "Undo")
    assert relayed is not None and relayed["object"]["id"] == undo["id"]
    assert await wait_for(lambda: _locked(b, post.ap_id, False))
    reply = await post_to_neighbourhood(federating(b), bert, group_on_b, "Ik heb er een!", in_reply_to=post.ap_id)
    assert await wait_for(lambda: _object(a, reply.ap_id))


async def test_our_resident_who_moderates_a_remote_neighbourhood_locks_from_the_post_page(
    two_instances: tuple[Instance, Instance],
) -> None:
    """bert on B moderates A's neighbourhood (A lists him in its moderators collection): B's
    post page offers him Lock; B sends his Lock to A, A applies and announces it, and B shows
    the thread locked once the Announce is back. Unlock reverses it the same way."""
    a, b = two_instances
    async with signed_in(a, "beheer", admin=True) as moderator:
        assert (await create_hood(moderator, "noord"))[0] == 200
    group = await actor(a, "noord")
    beheer = await actor(a, "beheer")
    async with signed_in(a, "anna"), signed_in(b, "bert") as bert_browser, signed_in(b, "bea") as bea_browser:
        anna, bert, bea = await actor(a, "anna"), await actor(b, "bert"), await actor(b, "bea")
        assert await membership.join(federating(a), anna, group) == "accepted"
        group_on_b = await _remote(b, group.ap_id)
        for resident in (bert, bea):
            await membership.join(federating(b), resident, group_on_b)
            assert await wait_for(lambda r=resident: _state_is(b, group.ap_id, r.ap_id, "accepted"))
        bert_on_a = await _remote(a, bert.ap_id)
        assert await membership.set_role(federating(a), beheer, group, bert_on_a, "moderator")

        post = await post_to_neighbourhood(federating(a), anna, group, "Wie heeft een aanhanger?")
        assert await wait_for(lambda: _object(b, post.ap_id))
        page_path = "/post?uri=" + post.ap_id

        # bea, a plain member on B, gets no button and a refused POST
        _, page = await bea_browser.get(page_path)
        assert 'action="/post/lock"' not in page and 'action="/compose"' in page
        status, _, _ = await bea_browser.submit(
            "/post/lock", {"uri": post.ap_id, "group": group.ap_id}, from_page=page_path
        )
        assert status == 403

        _, page = await bert_browser.get(page_path)
        assert 'action="/post/lock"' in page and f'value="{group.ap_id}"' in page
        status, page, _ = await bert_browser.submit(
            "/post/lock", {"uri": post.ap_id, "group": group.ap_id, "reason": "Gevonden"}, from_page=page_path
        )
        assert status == 200 and "Your lock was sent to the neighbourhood" in page

        # A applies bert's Lock and announces it unchanged; B applies the Announce
        assert await wait_for(lambda: _locked(a, post.ap_id, True))
        announce = await _group_activity(a, group.ap_id, "Lock")
        assert announce is not None
        lock = announce["object"]
        assert lock["actor"] == bert.ap_id and lock["object"] == post.ap_id and lock["summary"] == "Gevonden"
        assert lock["audience"] == group.ap_id and lock["cc"] == [group.ap_id]
        assert await wait_for(lambda: _locked(b, post.ap_id, True))
        _, page = await bert_browser.get(page_path)
        assert "Locked" in page and 'action="/post/unlock"' in page and 'action="/compose"' not in page
        with pytest.raises(NotAllowed):
            await post_to_neighbourhood(federating(b), bea, group_on_b, "Ik!", in_reply_to=post.ap_id)

        # Unlock: bert's Undo{Lock} goes to A, which lifts it and announces it back
        status, page, _ = await bert_browser.submit(
            "/post/unlock", {"uri": post.ap_id, "group": group.ap_id}, from_page=page_path
        )
        assert status == 200 and "Your unlock was sent to the neighbourhood" in page
        assert await wait_for(lambda: _locked(a, post.ap_id, False))
        undo = await _group_activity(a, group.ap_id, "Undo")
        assert undo is not None and undo["object"]["actor"] == bert.ap_id
        assert undo["object"]["object"]["id"] == lock["id"]
        assert await wait_for(lambda: _locked(b, post.ap_id, False))
        _, page = await bert_browser.get(page_path)
        assert 'action="/post/lock"' in page and 'action="/compose"' in page
        reply = await post_to_neighbourhood(federating(b), bea, group_on_b, "Ik!", in_reply_to=post.ap_id)
        assert await wait_for(lambda: _object(a, reply.ap_id))
