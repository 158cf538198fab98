"""Outbox, followers, following and featured: OrderedCollections with keyset-paged pages;
only public, undeleted objects ever reach the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.urls import Urls
from tests.harness import PEER_ADDRESSES, Instance, running_instance

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def small_pages(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    """An instance whose collection pages hold 2 items."""
    async with running_instance(
        database_server,
        template_database,
        PEER_ADDRESSES[0],
        tmp_path,
        extra={"collection_page_size": 2},
    ) as inst:
        yield inst


async def get(instance: Instance, url: str) -> tuple[int, Any]:
    if url.startswith("/"):
        url = instance.url(url)
    async with instance.session.get(url, headers={"Accept": AS2}) as resp:
        assert resp.headers["Content-Type"].startswith("application/activity+json")
        return resp.status, await resp.json(content_type=None)


async def add_object(instance: Instance, actor: ActorRow, uid: str, visibility: str) -> str:
    ap_id = Urls(instance.settings).object(uid)
    to = {"public": [PUBLIC], "unlisted": [actor.followers_url or ""]}.get(visibility, [])
    cc = [PUBLIC] if visibility == "unlisted" else []
    document = {
        "id": ap_id,
        "type": "Note",
        "attributedTo": actor.ap_id,
        "content": f"<p>{uid}</p>",
        "to": to or ["http://127.0.0.2/someone"],
        "cc": cc,
        "bcc": ["http://127.0.0.2/secret"],
        "published": "2025-05-01T10:00:00Z",
    }
    row = await object_store.insert_object(
        instance.pool,
        {
            "ap_id": ap_id,
            "type": "Note",
            "actor_id": actor.id,
            "attributed_to": actor.ap_id,
            "visibility": visibility,
            "is_local": True,
            "content": document["content"],
            "document": document,
        },
    )
    assert row is not None
    return ap_id


async def remote_actor(instance: Instance, name: str) -> ActorRow:
    return await actor_store.upsert_remote_actor(
        instance.pool,
        {
            "ap_id": f"http://remote.example/users/{name}",
            "kind": "Person",
            "is_local": False,
            "username": name,
            "domain": "remote.example",
            "inbox_url": f"http://remote.example/users/{name}/inbox",
        },
    )


async def test_outbox_holds_public_objects_only(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    public = await add_object(instance, actor, "pub", "public")
    await add_object(instance, actor, "unl", "unlisted")
    await add_object(instance, actor, "fol", "followers")
    await add_object(instance, actor, "mem", "members")
    await add_object(instance, actor, "dir", "direct")
    deleted = await add_object(instance, actor, "del", "public")
    await object_store.tombstone_object(instance.pool, deleted, actor.ap_id, actor.id)

    status, collection = await get(instance, "/actors/oosterpark/outbox")
    assert status == 200
    assert collection["type"] == "OrderedCollection"
    assert collection["id"] == actor.ap_id + "/outbox"
    assert collection["totalItems"] == 1
    status, page = await get(instance, collection["first"])
    assert status == 200
    assert page["type"] == "OrderedCollectionPage"
    assert page["partOf"] == collection["id"]
    [create] = page["orderedItems"]
    assert create["type"] == "Create"
    assert create["actor"] == actor.ap_id
    assert create["object"]["id"] == public
    assert create["to"] == [PUBLIC]
    assert "bcc" not in create["object"]
    assert "next" not in page and "prev" not in page


async def test_outbox_pages_have_stable_keyset_cursors(small_pages: Instance) -> None:
    instance = small_pages
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bea")
    ids = [await add_object(instance, actor, f"n{i}", "public") for i in range(5)]
    newest_first = list(reversed(ids))

    _, collection = await get(instance, "/actors/bea/outbox")
    assert collection["totalItems"] == 5
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    url: str | None = collection["first"]
    while url:
        status, page = await get(instance, url)
        assert status == 200
        assert page["partOf"] == collection["id"]
        assert len(page["orderedItems"]) <= 2
        seen += [item["object"]["id"] for item in page["orderedItems"]]
        pages.append(page)
        url = page.get("next")
    assert seen == newest_first
    assert len(pages) == 3
    assert "prev" not in pages[0]

    # a new post does not shift the pages already handed out (no offsets)
    await add_object(instance, actor, "late", "public")
    _, again = await get(instance, pages[1]["id"])
    assert [i["object"]["id"] for i in again["orderedItems"]] == newest_first[2:4]

    # walking back with prev from the last page reaches the newest post too
    late = Urls(instance.settings).object("late")
    back: list[str] = []
    url = pages[-1]["prev"]
    while url:
        _, page = await get(instance, url)
        back = [i["object"]["id"] for i in page["orderedItems"]] + back
        url = page.get("prev")
    assert back == [late, *newest_first[:4]]


async def test_followers_and_following_list_accepted_actor_ids(small_pages: Instance) -> None:
    instance = small_pages
    group = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    remotes = [await remote_actor(instance, f"r{i}") for i in range(3)]
    for i, remote in enumerate(remotes):
        await follow_store.upsert_follow(instance.pool, f"{remote.ap_id}/follow", remote.id, group.id, "accepted")
        await follow_store.upsert_follow(
            instance.pool,
            f"{group.ap_id}/follow/{i}",
            group.id,
            remote.id,
            "accepted" if i < 2 else "pending",
        )
    pending = await remote_actor(instance, "wachtend")
    await follow_store.upsert_follow(instance.pool, f"{pending.ap_id}/follow", pending.id, group.id, "pending")

    _, followers = await get(instance, "/actors/oosterpark/followers")
    assert followers["totalItems"] == 3
    listed: list[str] = []
    url: str | None = followers["first"]
    while url:
        _, page = await get(instance, url)
        assert all(isinstance(item, str) for item in page["orderedItems"])
        listed += page["orderedItems"]
        url = page.get("next")
    assert listed == [r.ap_id for r in remotes]

    _, following = await get(instance, "/actors/oosterpark/following")
    assert following["totalItems"] == 2
    _, page = await get(instance, following["first"])
    assert page["orderedItems"] == [remotes[0].ap_id, remotes[1].ap_id]
    assert "next" not in page


async def test_featured_is_an_empty_ordered_collection(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    status, featured = await get(instance, "/actors/oosterpark/featured")
    assert status == 200
    assert featured == {
        **featured,
        "id": actor.ap_id + "/featured",
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }


async def test_instance_actor_has_collections_too(instance: Instance) -> None:
    status, outbox = await get(instance, "/actor/outbox")
    assert status == 200
    assert outbox["id"] == instance.url("/actor/outbox")
    assert outbox["totalItems"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/actors/nobody/outbox",
        "/actors/nobody/followers",
        "/actors/nobody/following",
        "/actors/nobody/featured",
    ],
)
async def test_collections_of_unknown_actors_are_404(instance: Instance, path: str) -> None:
    status, _ = await get(instance, path)
    assert status == 404


@pytest.mark.parametrize("cursor", ["7", "next.", "next.x", "sideways.3", "next.-1", "next.١"])
async def test_malformed_cursors_are_400(instance: Instance, cursor: str) -> None:
    await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    status, _ = await get(instance, f"/actors/oosterpark/outbox?page={cursor}")
    assert status == 400
