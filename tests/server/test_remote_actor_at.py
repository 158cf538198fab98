"""RemoteActors.actor_at: a URL that serves an actor under another id (a profile URL) is
followed to that id on the same origin; a page on another origin claiming a server's actor
is refused (by the fetch's origin check) and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from server.appkeys import REMOTE
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from tests.harness import Instance

CLAIMANT = "127.0.0.5"


@pytest.fixture
async def claimant(instance: Instance) -> AsyncIterator[str]:
    """A server on another origin whose /@victim page claims to be a real actor of the
    instance (its document is copied, id and all)."""
    victim = await create_local_actor(instance.pool, instance.settings, kind="Person", username="victim")
    async with instance.session.get(victim.ap_id, headers={"Accept": "application/activity+json"}) as resp:
        document = await resp.json(content_type=None)

    async def page(request: web.Request) -> web.Response:
        return web.json_response(document, content_type="application/activity+json")

    app = web.Application()
    app.router.add_get("/@victim", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, CLAIMANT, 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://{CLAIMANT}:{port}/@victim"
    finally:
        await runner.cleanup()


async def test_a_profile_url_on_the_same_origin_gives_the_actor(instance: Instance) -> None:
    made = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    found = await instance.app[REMOTE].actor_at(instance.url("/@oost"))
    assert found is not None and found.ap_id == made.ap_id


async def test_a_page_claiming_an_actor_of_another_origin_is_refused(instance: Instance, claimant: str) -> None:
    assert await instance.app[REMOTE].actor_at(claimant) is None
    assert await actor_store.actor_by_ap_id(instance.pool, claimant) is None
