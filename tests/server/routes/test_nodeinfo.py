"""NodeInfo discovery and the 2.0 / 2.1 documents, with counts from the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.domain.actors import create_account, create_local_actor
from server.storage import objects as object_store
from server.urls import Urls
from tests.harness import PEER_ADDRESSES, Instance, running_instance

SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"


async def get(instance: Instance, path: str) -> tuple[int, str, Any]:
    async with instance.session.get(instance.url(path)) as resp:
        return resp.status, resp.headers["Content-Type"], await resp.json(content_type=None)


async def test_discovery_links_both_versions_and_the_instance_actor(instance: Instance) -> None:
    status, _, doc = await get(instance, "/.well-known/nodeinfo")
    assert status == 200
    links = {link["rel"]: link["href"] for link in doc["links"]}
    assert links[SCHEMA + "2.0"] == instance.url("/nodeinfo/2.0")
    assert links[SCHEMA + "2.1"] == instance.url("/nodeinfo/2.1")
    assert links["https://www.w3.org/ns/activitystreams#Application"] == instance.url("/actor")


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_document_shape(instance: Instance, version: str) -> None:
    status, content_type, doc = await get(instance, f"/nodeinfo/{version}")
    assert status == 200
    assert f'profile="{SCHEMA}{version}#"' in content_type
    assert doc["version"] == version
    assert doc["software"]["name"] == "buurtplein"
    assert doc["software"]["version"]
    assert doc["protocols"] == ["activitypub"]
    assert doc["openRegistrations"] is False  # the default mode is "approval"
    assert doc["usage"] == {
        "users": {"total": 0, "activeMonth": 0, "activeHalfyear": 0},
        "localPosts": 0,
    }
    assert doc["metadata"]["neighbourhoods"] == []


async def test_unknown_version_is_404(instance: Instance) -> None:
    async with instance.session.get(instance.url("/nodeinfo/1.0")) as resp:
        assert resp.status == 404


async def test_counts_follow_the_database(instance: Instance) -> None:
    bea = await create_account(instance.pool, instance.settings, username="bea", password="lang-genoeg-1")
    await create_account(instance.pool, instance.settings, username="cor", password="lang-genoeg-2")
    group = await create_local_actor(
        instance.pool, instance.settings, kind="Group", username="oosterpark", name="Oosterpark"
    )
    for uid, deleted in (("a", False), ("b", False), ("c", True)):
        ap_id = Urls(instance.settings).object(uid)
        await object_store.insert_object(
            instance.pool,
            {
                "ap_id": ap_id,
                "type": "Note",
                "actor_id": bea.id,
                "attributed_to": bea.ap_id,
                "visibility": "followers",
                "is_local": True,
                "content": "x",
            },
        )
        if deleted:
            await object_store.tombstone_object(instance.pool, ap_id, bea.ap_id, bea.id)
    # an old, silent resident counts in the total but not as active
    await instance.pool.execute("UPDATE actors SET created_at = now() - interval '1 year' WHERE username = 'cor'")

    _, _, doc = await get(instance, "/nodeinfo/2.1")
    assert doc["usage"]["users"] == {"total": 2, "activeMonth": 1, "activeHalfyear": 1}
    assert doc["usage"]["localPosts"] == 2
    assert doc["metadata"]["neighbourhoods"] == [{"name": "Oosterpark", "url": group.url}]

    await create_account(instance.pool, instance.settings, username="dirk", password="lang-genoeg-3")
    _, _, doc = await get(instance, "/nodeinfo/2.0")
    assert doc["usage"]["users"]["total"] == 3
    assert doc["usage"]["users"]["activeMonth"] == 2


@pytest.fixture
async def open_instance(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, registration_mode="open"
    ) as inst:
        yield inst


async def test_open_registrations_follow_the_setting(open_instance: Instance) -> None:
    _, _, doc = await get(open_instance, "/nodeinfo/2.0")
    assert doc["openRegistrations"] is True
