"""GET /objects/{uid} and /activities/{uid}: public and unlisted objects are served, other
audiences are 404, deleted ones 410 + Tombstone; only public outgoing activities."""

from __future__ import annotations

import pytest

from server.domain.actors import create_local_actor
from server.storage import deliveries as delivery_store
from server.storage import objects as object_store
from server.urls import Urls
from tests.harness import Instance

AS2 = "application/activity+json"
BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def add(instance: Instance, uid: str, visibility: str, content: str = "<p>Hallo buurt</p>") -> str:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username=f"u{uid}")
    ap_id = Urls(instance.settings).object(uid)
    document = {
        "id": ap_id,
        "type": "Note",
        "attributedTo": actor.ap_id,
        "content": content,
        "to": [PUBLIC] if visibility == "public" else [actor.ap_id + "/followers"],
        "bto": ["http://127.0.0.2/hidden"],
    }
    await object_store.insert_object(
        instance.pool,
        {
            "ap_id": ap_id,
            "type": "Note",
            "actor_id": actor.id,
            "attributed_to": actor.ap_id,
            "visibility": visibility,
            "is_local": True,
            "content": content,
            "document": document,
        },
    )
    return ap_id


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
async def test_public_and_unlisted_objects_are_served(instance: Instance, visibility: str) -> None:
    ap_id = await add(instance, "abc", visibility)
    async with instance.session.get(ap_id, headers={"Accept": AS2}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/activity+json")
        assert "Accept" in resp.headers["Vary"]
        doc = await resp.json(content_type=None)
    assert doc["id"] == ap_id
    assert doc["@context"]
    assert "bto" not in doc


@pytest.mark.parametrize("visibility", ["followers", "members", "direct"])
async def test_non_public_objects_are_404(instance: Instance, visibility: str) -> None:
    ap_id = await add(instance, "abc", visibility)
    for accept in (AS2, BROWSER):
        async with instance.session.get(ap_id, headers={"Accept": accept}) as resp:
            assert resp.status == 404
            assert "Hallo buurt" not in await resp.text()


async def test_deleted_object_is_410_with_a_tombstone(instance: Instance) -> None:
    ap_id = await add(instance, "abc", "public")
    row = await object_store.object_by_ap_id(instance.pool, ap_id)
    assert row is not None
    await object_store.tombstone_object(instance.pool, ap_id, row.attributed_to, row.actor_id)
    async with instance.session.get(ap_id, headers={"Accept": AS2}) as resp:
        assert resp.status == 410
        doc = await resp.json(content_type=None)
    assert doc["type"] == "Tombstone" and doc["id"] == ap_id and "deleted" in doc
    async with instance.session.get(ap_id, headers={"Accept": BROWSER}) as resp:
        assert resp.status == 410


async def test_browsers_get_the_sanitised_content(instance: Instance) -> None:
    ap_id = await add(instance, "abc", "public", content="<p>Hallo buurt</p><script>alert(1)</script>")
    async with instance.session.get(ap_id, headers={"Accept": BROWSER}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        assert "Accept" in resp.headers["Vary"]
        page = await resp.text()
    assert "<p>Hallo buurt</p>" in page
    assert "<script" not in page
    assert f'rel="alternate" type="application/activity+json" href="{ap_id}"' in page


async def test_unknown_object_is_404(instance: Instance) -> None:
    async with instance.session.get(instance.url("/objects/nope"), headers={"Accept": AS2}) as resp:
        assert resp.status == 404


async def test_only_public_outgoing_activities_are_served(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bea")
    urls = Urls(instance.settings)
    public, private = urls.activity("pub"), urls.activity("priv")
    async with instance.pool.acquire() as conn:
        await delivery_store.insert_activity(
            conn,
            public,
            actor.id,
            {
                "id": public,
                "type": "Announce",
                "actor": actor.ap_id,
                "object": "http://x/1",
                "to": [actor.ap_id + "/followers"],
                "cc": [PUBLIC],
                "bcc": ["http://127.0.0.2/s"],
            },
            [],
        )
        await delivery_store.insert_activity(
            conn,
            private,
            actor.id,
            {
                "id": private,
                "type": "Follow",
                "actor": actor.ap_id,
                "object": "http://x/u",
                "to": ["http://x/u"],
            },
            [],
        )
    async with instance.session.get(public, headers={"Accept": AS2}) as resp:
        assert resp.status == 200
        doc = await resp.json(content_type=None)
    assert doc["id"] == public and doc["type"] == "Announce" and "bcc" not in doc
    assert doc["@context"]
    async with instance.session.get(private, headers={"Accept": AS2}) as resp:
        assert resp.status == 404
