"""Nothing follows a remote collection's pages (docs/FEDERATION.md, "Remote collections"):
the one remote collection we read, a remote group's moderators (`attributedTo`), is read
from its own document only -- items on `first`/`next` pages are never fetched -- and at
most MAX_MODERATORS of its inline items count."""

from __future__ import annotations

from server.appkeys import REMOTE
from server.domain.remote_thread_locks import MAX_MODERATORS
from server.handlers.group_announces import remote_moderators
from tests.harness import Instance
from tests.scripted_peer import AS, scripted_peer
from tests.server.test_fetch_budget import context


async def test_moderators_collection_pages_are_never_followed(instance: Instance) -> None:
    async with scripted_peer() as peer:
        group = peer.make_actor("buurt", kind="Group")
        moderators = f"{peer.base}/users/buurt/moderators"
        page = peer.serve(
            "/users/buurt/moderators/page/1",
            {"@context": AS, "id": f"{moderators}/page/1", "type": "OrderedCollectionPage",
             "orderedItems": [f"{peer.base}/users/mod"], "next": f"{moderators}/page/2"},
        )  # fmt: skip
        peer.serve(
            "/users/buurt/moderators",
            {"@context": AS, "id": moderators, "type": "OrderedCollection", "totalItems": 1, "first": page},
        )
        peer.serve("/users/buurt", dict(group.document, attributedTo=moderators))
        row = await instance.app[REMOTE].actor(group.ap_id)
        assert row is not None
        assert await remote_moderators(await context(instance), row) == set()
        assert peer.gets("/users/buurt/moderators") == 1
        assert peer.gets("/users/buurt/moderators/page/1") == 0  # `first` is not followed

        many = [f"{peer.base}/users/m{i}" for i in range(MAX_MODERATORS + 50)]
        peer.serve(
            "/users/buurt/moderators",
            {"@context": AS, "id": moderators, "type": "OrderedCollection", "orderedItems": many, "next": page},
        )
        found = await remote_moderators(await context(instance), row)
        assert found == set(many[:MAX_MODERATORS])
        assert peer.gets("/users/buurt/moderators/page/1") == 0
