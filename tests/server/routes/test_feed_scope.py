"""Whose posts the instance-wide lists show (a design decision, docs/feeds.md): the
instance feed, the hashtag feeds and the API's post list without `neighbourhood` hold this
instance's own public posts only; a remote resident's public post appears where one of
our neighbourhoods announced it (its feed, and the API with `neighbourhood`)."""

from __future__ import annotations

from tests.harness import Instance
from tests.server.feed_data import build_world, plant_object
from tests.server.routes.test_collections import remote_actor


async def _text(inst: Instance, path: str) -> str:
    async with inst.session.get(inst.url(path)) as resp:
        assert resp.status == 200, path
        return await resp.text()


async def test_instance_wide_lists_hold_our_own_posts_only(instance: Instance) -> None:
    world = await build_world(instance)
    far = await remote_actor(instance, "verweg")
    await plant_object(instance, far, content="<p>REMOTE loose</p>", tags=("buurtfeest",))
    await plant_object(instance, far, content="<p>REMOTE announced</p>", tags=("buurtfeest",), group=world.group)
    for path in (
        "/feeds/instance.atom",
        "/feeds/tags/buurtfeest.atom",
        "/feeds/tags/buurtfeest.rss",
        "/api/v1/posts",
        "/api/v1/posts?tag=buurtfeest",
    ):
        body = await _text(instance, path)
        assert "REMOTE" not in body, path
        assert "Welkom in de buurt" in body, path  # our own public post is there
    for path in ("/feeds/neighbourhoods/oosterpark.atom", "/api/v1/posts?neighbourhood=oosterpark"):
        body = await _text(instance, path)
        assert "REMOTE announced" in body and "REMOTE loose" not in body, path
