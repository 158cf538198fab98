"""A resident who moderates a REMOTE neighbourhood (a scripted peer's Group that lists them
in its `attributedTo` moderators collection) locks a thread of it from the post page: the
resident's signed Lemmy-shaped `Lock` goes to the group's inbox, the post is locked only
when the group announces it back, and `Undo{Lock}` opens it again the same way. A member
who is not listed gets no button and a refused POST; the moderators list is kept in
memory, and fetched again before a lock is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from server.appkeys import REMOTE
from server.domain import posts
from server.domain.remote_thread_locks import forget_moderators, group_moderators, lockable_remote_groups
from server.storage import group_federation as group_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer
from tests.server.test_handlers import send
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import actor, signed_in

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@dataclass
class Scene:
    peer: ScriptedPeer
    group: PeerActor
    group_row: ActorRow
    moderator: ActorRow
    member: ActorRow
    post_ap_id: str
    moderators_path: str

    @property
    def page(self) -> str:
        return "/post?uri=" + self.post_ap_id

    def list_moderators(self, *ap_ids: str) -> None:
        collection = f"{self.peer.base}{self.moderators_path}"
        self.peer.serve(
            self.moderators_path,
            {"@context": AS, "id": collection, "type": "OrderedCollection", "orderedItems": list(ap_ids)},
        )


@asynccontextmanager
async def remote_group(instance: Instance, mod: PageClient, member: PageClient) -> AsyncIterator[Scene]:
    """A remote group on a scripted peer that both residents are accepted members of, which
    lists `moderator` as its moderator, with a post of the member in it."""
    forget_moderators()
    async with scripted_peer() as peer:
        group = peer.make_actor("buurt", kind="Group")
        moderators_path = "/users/buurt/moderators"
        peer.serve("/users/buurt", dict(group.document, attributedTo=f"{peer.base}{moderators_path}"))
        group_row = await instance.app[REMOTE].actor(group.ap_id)
        assert group_row is not None and group_row.kind == "Group"
        moderator, resident = await actor(instance, "moderator"), await actor(instance, "bewoner")
        for who in (moderator, resident):
            await membership_store.upsert_membership(instance.pool, group_row.id, who.id, state="accepted")
        post = await posts.create_note(federating(instance), resident, "Wie heeft er een ladder?")
        row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
        assert row is not None
        await neighbourhood_store.insert_group_post(instance.pool, group_row.id, row.id, "announced", None)
        scene = Scene(peer, group, group_row, moderator, resident, post.ap_id, moderators_path)
        scene.list_moderators(f"{peer.base}/users/admin", moderator.ap_id)
        yield scene


def _received(peer: ScriptedPeer, kind: str) -> list[dict[str, Any]]:
    return [a for a in peer.received if a.get("type") == kind]


async def _announce_back(instance: Instance, scene: Scene, inner: dict[str, Any]) -> None:
    """The group announces the activity it received, as Lemmy does."""
    announce = {
        "@context": AS,
        "id": scene.peer.activity_id(),
        "type": "Announce",
        "actor": scene.group.ap_id,
        "object": inner,
        "to": [PUBLIC],
        "cc": [scene.group.ap_id + "/followers"],
    }
    await send(instance, scene.peer, scene.group, announce)


async def test_a_resident_who_moderates_a_remote_group_locks_and_unlocks_from_the_post_page(
    instance: Instance,
) -> None:
    async with (
        signed_in(instance, "moderator") as mod,
        signed_in(instance, "bewoner") as member,
        remote_group(instance, mod, member) as scene,
    ):
        # a member who is not listed: no button, and a POST is refused without sending
        _, page = await member.get(scene.page)
        assert 'action="/post/lock"' not in page and 'action="/compose"' in page
        status, page, _ = await member.submit(
            "/post/lock", {"uri": scene.post_ap_id, "group": scene.group.ap_id}, from_page=scene.page
        )
        assert status == 403 and "Only the moderators of this post" in page

        # the listed moderator sees the button, naming the remote group
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' in page and f'value="{scene.group.ap_id}"' in page
        status, page, _ = await mod.submit(
            "/post/lock",
            {"uri": scene.post_ap_id, "group": scene.group.ap_id, "reason": "Opgelost"},
            from_page=scene.page,
        )
        assert status == 200 and "Your lock was sent to the neighbourhood" in page
        # not locked here until the group confirms it
        assert not await group_store.is_locked(instance.pool, scene.post_ap_id)
        assert 'action="/post/lock"' in page and 'action="/compose"' in page

        assert await wait_for(lambda: _async_bool(bool(_received(scene.peer, "Lock"))))
        (lock,) = _received(scene.peer, "Lock")
        assert lock["actor"] == scene.moderator.ap_id and lock["object"] == scene.post_ap_id
        assert lock["to"] == [PUBLIC] and lock["cc"] == [scene.group.ap_id]
        assert lock["audience"] == scene.group.ap_id and lock["summary"] == "Opgelost"
        assert "proof" in lock
        assert not any(a.get("type") == "Lock" for a in scene.peer.received if a is not lock)
        assert ("POST", "/users/buurt/inbox") in scene.peer.requests

        # the group announces it back: locked here, the moderator may unlock
        await _announce_back(instance, scene, lock)
        assert await wait_for(lambda: group_store.is_locked(instance.pool, scene.post_ap_id))
        _, page = await mod.get(scene.page)
        assert "Locked" in page and 'action="/post/unlock"' in page and 'action="/compose"' not in page
        _, page = await member.get(scene.page)
        assert 'action="/post/unlock"' not in page and 'action="/compose"' not in page
        status, _, _ = await member.submit(
            "/post/unlock", {"uri": scene.post_ap_id, "group": scene.group.ap_id}, from_page=scene.page
        )
        assert status == 403 and not _received(scene.peer, "Undo")

        status, page, _ = await mod.submit(
            "/post/unlock", {"uri": scene.post_ap_id, "group": scene.group.ap_id}, from_page=scene.page
        )
        assert status == 200 and "Your unlock was sent to the neighbourhood" in page
        assert await group_store.is_locked(instance.pool, scene.post_ap_id)
        assert await wait_for(lambda: _async_bool(bool(_received(scene.peer, "Undo"))))
        (undo,) = _received(scene.peer, "Undo")
        assert undo["actor"] == scene.moderator.ap_id and undo["audience"] == scene.group.ap_id
        assert undo["object"]["id"] == lock["id"] and undo["object"]["type"] == "Lock"
        await _announce_back(instance, scene, undo)
        assert await wait_for(lambda: _unlocked(instance, scene.post_ap_id))
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' in page and 'action="/compose"' in page


async def test_the_moderators_list_is_cached_for_the_page_and_fetched_again_before_sending(
    instance: Instance,
) -> None:
    async with (
        signed_in(instance, "moderator") as mod,
        signed_in(instance, "bewoner") as member,
        remote_group(instance, mod, member) as scene,
    ):
        fed = federating(instance)
        assert await lockable_remote_groups(fed, scene.post_ap_id, scene.moderator) == {
            scene.group_row.id: scene.group.ap_id
        }
        assert await lockable_remote_groups(fed, scene.post_ap_id, scene.member) == {}
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' in page
        assert scene.peer.gets(scene.moderators_path) == 1  # one fetch for all of the above

        # the group drops the moderator: the page may still show the button for a while,
        # but the POST asks the group again and is refused
        scene.list_moderators(f"{scene.peer.base}/users/admin")
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' in page
        status, _, _ = await mod.submit(
            "/post/lock", {"uri": scene.post_ap_id, "group": scene.group.ap_id}, from_page=scene.page
        )
        assert status == 403 and scene.peer.gets(scene.moderators_path) == 2
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' not in page

        # an unreachable group keeps the list last known
        scene.peer.serve(scene.moderators_path, b"gone", status=410)
        assert await group_moderators(fed.remote, scene.group.ap_id, fresh=True) == {f"{scene.peer.base}/users/admin"}

        # a resident who is not a member is never looked up
        await membership_store.delete_membership(instance.pool, scene.group_row.id, scene.moderator.id)
        scene.list_moderators(scene.moderator.ap_id)
        forget_moderators()
        assert await lockable_remote_groups(fed, scene.post_ap_id, scene.moderator) == {}
        assert scene.peer.gets(scene.moderators_path) == 3


async def _async_bool(value: bool) -> bool:
    return value


async def _unlocked(instance: Instance, ap_id: str) -> bool:
    return not await group_store.is_locked(instance.pool, ap_id)


async def test_a_reply_in_a_remote_group_gets_no_lock_button_and_no_lock_is_sent(instance: Instance) -> None:
    """Lemmy locks posts, not comments: on a reply's page the remote group's moderator is
    offered no lock, and a POST naming the reply is refused without sending anything."""
    async with (
        signed_in(instance, "moderator") as mod,
        signed_in(instance, "bewoner") as member,
        remote_group(instance, mod, member) as scene,
    ):
        reply = await posts.create_note(
            federating(instance), scene.member, "Ik heb er een.", in_reply_to=scene.post_ap_id
        )
        row = await object_store.object_by_ap_id(instance.pool, reply.ap_id)
        assert row is not None
        await neighbourhood_store.insert_group_post(instance.pool, scene.group_row.id, row.id, "announced", None)
        _, page = await mod.get(scene.page)
        assert 'action="/post/lock"' in page  # the first post: offered
        reply_page = "/post?uri=" + reply.ap_id
        _, page = await mod.get(reply_page)
        assert 'action="/post/lock"' not in page
        status, _, _ = await mod.submit(
            "/post/lock", {"uri": reply.ap_id, "group": scene.group.ap_id}, from_page=reply_page
        )
        assert status == 403
        assert _received(scene.peer, "Lock") == []
