"""A remote moderator of one of our neighbourhoods bans a member and lifts the ban in
Lemmy's shape (Block / Undo{Block} with the group as `target`, the payloads of
../shared/interop/payloads/lemmy/activities/block/), through the real inbox and worker from
a scripted peer: applied when the sender holds the moderator role here, ignored from a plain
member, and never taken for a block between two accounts. Lemmy's `endTime`/`expires` end
the ban by itself (the ban expiry pass sends the Undo{Block}); one in the past or unreadable
leaves a permanent ban. `removeData` removes the member's posts in the neighbourhood, each
announced as the group's own Delete, and the group announces the Block."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from server.ban_expiry_task import end_bans_once
from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.handlers.group_member_bans import ban_end
from server.storage import actors as actor_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import PeerActor, ScriptedPeer, scripted_peer
from tests.server.handlers.test_groups import announce, lemmy_community, page
from tests.server.handlers.test_groups import create_of as create_of_page
from tests.server.test_handlers import processed, send

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _state(instance: Instance, group_id: int, ap_id: str) -> str | None:
    found = await actor_store.actor_by_ap_id(instance.pool, ap_id)
    row = await membership_store.membership(instance.pool, group_id, found.id) if found else None
    return row.state if row else None


async def _account_blocks(instance: Instance) -> int:
    return int(await instance.pool.fetchval("SELECT count(*) FROM actor_blocks"))


def _ban(peer: ScriptedPeer, by: PeerActor, member: str, target: str) -> dict[str, Any]:
    return {
        "id": peer.activity_id(),
        "type": "Block",
        "actor": by.ap_id,
        "to": [PUBLIC],
        "object": member,
        "cc": [target],
        "target": target,
        "removeData": False,
        "summary": "spam post",
    }


async def _told(peer: ScriptedPeer, kind: str, group_ap_id: str, member: str) -> bool:
    for sent in peer.received:
        if sent.get("type") != kind or sent.get("actor") != group_ap_id:
            continue
        inner = sent.get("object")
        if (inner if kind == "Block" else inner.get("object") if isinstance(inner, dict) else None) == member:
            return True
    return False


async def test_a_remote_moderators_ban_is_applied_lifted_and_a_members_is_ignored(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        mod, troll, mallory = peer.make_actor("mod"), peer.make_actor("troll"), peer.make_actor("mallory")
        for who in (mod, troll, mallory):
            follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
            await send(instance, peer, who, follow)
        await wait_for(lambda: processed(instance, 3))
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")

        # a plain member's ban of another member: ignored, and no block between accounts
        await send(instance, peer, mallory, _ban(peer, mallory, troll.ap_id, group.ap_id))
        await wait_for(lambda: processed(instance, 4))
        assert await _state(instance, group.id, troll.ap_id) == "accepted"
        assert await _account_blocks(instance) == 0

        # the moderator's: banned, logged with the reason, the member's server told by the group
        ban = _ban(peer, mod, troll.ap_id, group.ap_id)
        await send(instance, peer, mod, ban)
        await wait_for(lambda: processed(instance, 5))
        assert await _state(instance, group.id, troll.ap_id) == "banned"
        assert await _account_blocks(instance) == 0
        logged = await instance.pool.fetchrow(
            """SELECT l.action, l.reason, a.ap_id FROM moderation_log l JOIN actors a ON a.id = l.actor_id
               WHERE l.target = $1""",
            troll.ap_id,
        )
        assert logged is not None and tuple(logged) == ("ban_member", "spam post", mod.ap_id)
        assert await wait_for(lambda: _told(peer, "Block", group.ap_id, troll.ap_id))

        # a banned member's new request is refused
        again = {"id": peer.activity_id(), "type": "Follow", "actor": troll.ap_id, "object": group.ap_id}
        await send(instance, peer, troll, again)
        await wait_for(lambda: processed(instance, 6))
        assert await _state(instance, group.id, troll.ap_id) == "banned"

        # a plain member's Undo of the ban: ignored; the moderator's lifts it
        undo = {
            "id": peer.activity_id(),
            "type": "Undo",
            "actor": mallory.ap_id,
            "object": {**ban, "actor": mallory.ap_id},
        }
        await send(instance, peer, mallory, undo)
        await wait_for(lambda: processed(instance, 7))
        assert await _state(instance, group.id, troll.ap_id) == "banned"
        undo = {"id": peer.activity_id(), "type": "Undo", "actor": mod.ap_id, "object": ban, "to": [PUBLIC]}
        await send(instance, peer, mod, undo)
        await wait_for(lambda: processed(instance, 8))
        assert await _state(instance, group.id, troll.ap_id) is None
        assert await wait_for(lambda: _told(peer, "Undo", group.ap_id, troll.ap_id))

        # an actor we never saw is fetched and banned before they ask to join
        stranger = peer.make_actor("stranger")
        assert await actor_store.actor_by_ap_id(instance.pool, stranger.ap_id) is None
        await send(instance, peer, mod, _ban(peer, mod, stranger.ap_id, group.ap_id))
        await wait_for(lambda: processed(instance, 9))
        assert await _state(instance, group.id, stranger.ap_id) == "banned"


async def test_a_ban_in_a_community_elsewhere_is_not_a_block_between_accounts(instance: Instance) -> None:
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    async with scripted_peer() as peer:
        mod = peer.make_actor("mod")
        follow = {"id": peer.activity_id(), "type": "Follow", "actor": mod.ap_id, "object": bob.ap_id}
        await send(instance, peer, mod, follow)
        await wait_for(lambda: processed(instance, 1))
        await send(instance, peer, mod, _ban(peer, mod, bob.ap_id, f"{peer.base}/c/main"))
        await wait_for(lambda: processed(instance, 2))
        assert await _account_blocks(instance) == 0
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        follows = await instance.pool.fetchval(
            "SELECT count(*) FROM follows WHERE follower_id = $1 AND followed_id = $2", mod_row.id, bob.id
        )
        assert follows == 1  # a block between accounts would have ended it

        # without a target it still is one
        block = {"id": peer.activity_id(), "type": "Block", "actor": mod.ap_id, "object": bob.ap_id}
        await send(instance, peer, mod, block)
        await wait_for(lambda: processed(instance, 3))
        assert await _account_blocks(instance) == 1


def _zulu(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_the_end_of_a_ban_is_read_from_end_time_or_expires() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    later = datetime(2026, 5, 8, 12, 0, tzinfo=UTC)
    assert ban_end({"endTime": "2026-05-08T12:00:00Z"}, now) == (later, "")
    assert ban_end({"expires": "2026-05-08T14:00:00+02:00"}, now) == (later, "")
    assert ban_end({"endTime": "2026-05-08T12:00:00Z", "expires": "2020-01-01T00:00:00Z"}, now) == (later, "")
    assert ban_end({}, now) == (None, "")
    assert ban_end({"endTime": "2026-04-30T12:00:00Z"}, now) == (None, "end time has passed")
    assert ban_end({"endTime": "next week"}, now) == (None, "end time unreadable")
    assert ban_end({"endTime": 1714564800}, now) == (None, "end time unreadable")
    assert ban_end({"endTime": "2026-05-08T12:00:00"}, now) == (None, "end time without a time zone")


async def _banned_until(instance: Instance, group_id: int, ap_id: str) -> datetime | None:
    value = await instance.pool.fetchval(
        """SELECT m.banned_until FROM memberships m JOIN actors a ON a.id = m.member_id
           WHERE m.group_id = $1 AND a.ap_id = $2 AND m.state = 'banned'""",
        group_id,
        ap_id,
    )
    return value if isinstance(value, datetime) else None


async def test_a_ban_with_an_end_time_ends_by_itself_as_a_lifting_does(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        mod, troll, spammer, odd = (peer.make_actor(n) for n in ("mod", "troll", "spammer", "odd"))
        for who in (mod, troll, spammer, odd):
            follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
            await send(instance, peer, who, follow)
        await wait_for(lambda: processed(instance, 4))
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")

        # a week's ban (Lemmy's `endTime`), one that ended already and an unreadable one
        end = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
        await send(instance, peer, mod, {**_ban(peer, mod, troll.ap_id, group.ap_id), "endTime": _zulu(end)})
        past = _zulu(datetime.now(UTC) - timedelta(days=1))
        await send(instance, peer, mod, {**_ban(peer, mod, spammer.ap_id, group.ap_id), "expires": past})
        await send(instance, peer, mod, {**_ban(peer, mod, odd.ap_id, group.ap_id), "endTime": "soon"})
        await wait_for(lambda: processed(instance, 7))
        assert await _banned_until(instance, group.id, troll.ap_id) == end
        for permanent in (spammer, odd):
            assert await _state(instance, group.id, permanent.ap_id) == "banned"
            assert await _banned_until(instance, group.id, permanent.ap_id) is None

        # the group's Block tells the member's server when the ban ends
        async def block_with_end() -> bool:
            return any(
                a.get("type") == "Block" and a.get("object") == troll.ap_id and a.get("endTime") == _zulu(end)
                for a in peer.received
            )

        assert await wait_for(block_with_end)
        assert await end_bans_once(fed) == 0  # nothing has ended yet
        assert await _state(instance, group.id, troll.ap_id) == "banned"

        # the week passes: the ban no longer counts, before any pass has run
        await instance.pool.execute(
            "UPDATE memberships SET banned_until = now() - interval '1 second' WHERE banned_until IS NOT NULL"
        )
        assert await _state(instance, group.id, troll.ap_id) is None
        # the pass ends it as a lifting does (once, with two processes at it), logged,
        # and the member's server gets Undo{Block}; the permanent bans stay
        # (the instance's own background pass may get there first: each ban ends once anyway)
        assert sum(await asyncio.gather(end_bans_once(fed), end_bans_once(fed))) <= 1
        logged = await instance.pool.fetchval(
            "SELECT count(*) FROM moderation_log WHERE action = 'ban_expired' AND target = $1 AND actor_id IS NULL",
            troll.ap_id,
        )
        assert logged == 1
        assert await wait_for(lambda: _told(peer, "Undo", group.ap_id, troll.ap_id))
        assert not await _told(peer, "Undo", group.ap_id, spammer.ap_id)
        for permanent in (spammer, odd):
            assert await _state(instance, group.id, permanent.ap_id) == "banned"

        # and the member may ask to join again
        again = {"id": peer.activity_id(), "type": "Follow", "actor": troll.ap_id, "object": group.ap_id}
        await send(instance, peer, troll, again)
        await wait_for(lambda: processed(instance, 8))
        assert await _state(instance, group.id, troll.ap_id) == "accepted"


async def test_a_request_after_the_end_of_a_ban_replaces_it_before_the_pass(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        troll = peer.make_actor("troll")
        troll_row = await fed.remote.actor(troll.ap_id)  # fetched from the peer
        assert troll_row is not None
        await membership_store.ban(instance.pool, group.id, troll_row.id, datetime.now(UTC) - timedelta(seconds=1))
        follow = {"id": peer.activity_id(), "type": "Follow", "actor": troll.ap_id, "object": group.ap_id}
        await send(instance, peer, troll, follow)
        await wait_for(lambda: processed(instance, 1))
        assert await _state(instance, group.id, troll.ap_id) == "accepted"
        assert await end_bans_once(fed) == 0


def _post_to_group(peer: ScriptedPeer, author: PeerActor, group_ap_id: str, text: str) -> dict[str, Any]:
    uid = peer.activity_id().rsplit("/", 1)[1]
    note = {
        "id": f"{peer.base}/notes/{uid}",
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": f"<p>{text}</p>",
        "to": [group_ap_id, PUBLIC],
        "audience": group_ap_id,
    }
    return {"id": peer.activity_id(), "type": "Create", "actor": author.ap_id, "object": note, "to": note["to"]}


async def test_remove_data_removes_the_members_posts_and_announces_their_removal(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark")
    async with scripted_peer() as peer:
        mod, troll, mallory = peer.make_actor("mod"), peer.make_actor("troll"), peer.make_actor("mallory")
        for who in (mod, troll, mallory):
            follow = {"id": peer.activity_id(), "type": "Follow", "actor": who.ap_id, "object": group.ap_id}
            await send(instance, peer, who, follow)
        await wait_for(lambda: processed(instance, 3))
        mod_row = await actor_store.actor_by_ap_id(instance.pool, mod.ap_id)
        assert mod_row is not None
        assert await membership.set_role(fed, anna, group, mod_row, "moderator")
        creates = [_post_to_group(peer, troll, group.ap_id, f"spam {i}") for i in range(3)]
        creates.append(_post_to_group(peer, mallory, group.ap_id, "blijft staan"))
        for create in creates:
            await send(instance, peer, troll if create["actor"] == troll.ap_id else mallory, create)
        await wait_for(lambda: processed(instance, 7))
        spam = [c["object"]["id"] for c in creates[:3]]
        for ap_id in [*spam, creates[3]["object"]["id"]]:
            post = await neighbourhood_store.group_post(instance.pool, group.id, ap_id)
            assert post is not None and post.state == "announced", ap_id
        # the bound takes the newest first
        newest = await neighbourhood_store.posts_of_author(instance.pool, group.id, troll.ap_id, 2)
        assert [p.object_ap_id for p in newest] == [spam[2], spam[1]]

        ban = {**_ban(peer, mod, troll.ap_id, group.ap_id), "removeData": True}
        await send(instance, peer, mod, ban)
        await wait_for(lambda: processed(instance, 8))
        assert await _state(instance, group.id, troll.ap_id) == "banned"
        for ap_id in spam:
            row = await object_store.object_by_ap_id(instance.pool, ap_id)
            assert row is not None and row.deleted_at is not None, ap_id
            post = await neighbourhood_store.group_post(instance.pool, group.id, ap_id)
            assert post is not None and post.state == "removed"
        kept = await object_store.object_by_ap_id(instance.pool, creates[3]["object"]["id"])
        assert kept is not None and kept.deleted_at is None
        logged = await instance.pool.fetch(
            """SELECT l.target, l.reason, a.ap_id FROM moderation_log l JOIN actors a ON a.id = l.actor_id
               WHERE l.action = 'remove_post' ORDER BY l.id""",
        )
        assert sorted(r["target"] for r in logged) == sorted(spam)
        assert {(r["reason"], r["ap_id"]) for r in logged} == {("spam post", mod.ap_id)}

        # each removal is announced as the group's own Delete, and the Block as received
        def announced_deletes() -> set[str]:
            return {
                a["object"]["object"]
                for a in peer.received
                if a.get("type") == "Announce"
                and a.get("actor") == group.ap_id
                and isinstance(a.get("object"), dict)
                and a["object"].get("type") == "Delete"
                and a["object"].get("actor") == group.ap_id
            }

        async def all_announced() -> bool:
            return announced_deletes() == set(spam)

        assert await wait_for(all_announced)

        async def block_announced() -> bool:
            return any(
                a.get("type") == "Announce" and isinstance(a.get("object"), dict) and a["object"].get("id") == ban["id"]
                for a in peer.received
            )

        assert await wait_for(block_announced)


async def test_a_groups_own_announced_delete_removes_a_post_in_it(instance: Instance) -> None:
    async with scripted_peer() as peer:
        beta, mallory = peer.make_actor("lemmy_beta"), peer.make_actor("mallory")
        community = lemmy_community(peer, "main", [])
        post = page(peer, beta, community, "weg ermee")
        await send(instance, peer, community, announce(peer, community, create_of_page(peer, beta, post)))
        await wait_for(lambda: processed(instance, 1))

        def delete_by(actor: PeerActor) -> dict[str, Any]:
            return {
                "id": peer.activity_id(),
                "type": "Delete",
                "actor": actor.ap_id,
                "object": post["id"],
                "audience": community.ap_id,
            }

        await send(instance, peer, community, announce(peer, community, delete_by(mallory)))
        await wait_for(lambda: processed(instance, 2))
        row = await object_store.object_by_ap_id(instance.pool, post["id"])
        assert row is not None and row.deleted_at is None
        await send(instance, peer, community, announce(peer, community, delete_by(community)))
        await wait_for(lambda: processed(instance, 3))
        row = await object_store.object_by_ap_id(instance.pool, post["id"])
        assert row is not None and row.deleted_at is not None


async def test_our_residents_ban_elsewhere_with_remove_data_removes_our_copies(instance: Instance) -> None:
    """Lemmy's ban of OUR resident in a remote community (Block with the community as
    `target`, by a moderator it lists) with `removeData`: our copies of their posts in that
    community are removed (tombstoned, marked removed in the group); from someone who is not
    a moderator, or without `removeData`, nothing is removed; no block between accounts."""
    from server.domain.group_posts import post_to_neighbourhood
    from server.domain.posts import create_note

    fed = federating(instance)
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    async with scripted_peer() as peer:
        mod, mallory = peer.make_actor("mod"), peer.make_actor("mallory")
        community = lemmy_community(peer, "main", [mod.ap_id])
        group = await fed.remote.actor(community.ap_id)
        assert group is not None
        in_group = [await post_to_neighbourhood(fed, bert, group, f"bericht {i}") for i in range(2)]
        for post in in_group:
            await neighbourhood_store.insert_group_post(instance.pool, group.id, post.id, "announced", None, None)
        elsewhere = await create_note(fed, bert, "op mijn profiel")

        async def states() -> list[str | None]:
            rows = [await neighbourhood_store.group_post(instance.pool, group.id, p.ap_id) for p in in_group]
            return [r.state if r else None for r in rows]

        await send(instance, peer, mallory, {**_ban(peer, mallory, bert.ap_id, community.ap_id), "removeData": True})
        await send(instance, peer, mod, _ban(peer, mod, bert.ap_id, community.ap_id))
        await wait_for(lambda: processed(instance, 2))
        assert await states() == ["announced", "announced"]

        await send(instance, peer, mod, {**_ban(peer, mod, bert.ap_id, community.ap_id), "removeData": True})
        await wait_for(lambda: processed(instance, 3))
        assert await states() == ["removed", "removed"]
        for post in in_group:
            row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
            assert row is not None and row.deleted_at is not None
        kept = await object_store.object_by_ap_id(instance.pool, elsewhere.ap_id)
        assert kept is not None and kept.deleted_at is None
        assert await _account_blocks(instance) == 0
