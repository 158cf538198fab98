"""Privacy sweep: a resident with public, unlisted, followers-only, members-only and direct
posts; everything reachable on our public surfaces (actor, profile page, outbox and other
collections, object and activity ids, WebFinger, host-meta, NodeInfo), crawled unsigned as
a stranger in both AS2 and HTML, shows no trace of the private ones."""

from __future__ import annotations

from aiohttp import web

from server.appkeys import REMOTE
from server.domain import posts
from server.domain.actors import create_local_actor
from server.storage import objects as object_store
from tests.e2e.crawl import crawl
from tests.harness import Instance, federating
from tests.server.test_workers import add_follower, sink

SECRETS = ("SECRET-FOLLOWERS-7f3a", "SECRET-DIRECT-91bc", "SECRET-MEMBERS-c0de")


async def accept(request: web.Request) -> web.StreamResponse:
    return web.Response(status=202)


async def test_nothing_private_is_reachable_unsigned(instance: Instance) -> None:
    fed = federating(instance)
    alice = await create_local_actor(instance.pool, instance.settings, kind="Person", username="alice")
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="buurt")
    async with sink("127.0.0.3", accept) as (base, _):
        bob = await add_follower(instance.app[REMOTE], instance.pool, alice, base, "bob")
        public = await posts.create_note(fed, alice, "PUBLIC-MARK-1111")
        unlisted = await posts.create_note(fed, alice, "UNLISTED-MARK-2222", visibility="unlisted")
        followers = await posts.create_note(fed, alice, SECRETS[0], visibility="followers")
        direct = await posts.create_note(fed, alice, SECRETS[1], visibility="direct", mentions=[bob.ap_id])
        members_id = fed.urls.object("members-only-post")
        await object_store.insert_object(
            instance.pool,
            {
                "ap_id": members_id,
                "type": "Note",
                "actor_id": alice.id,
                "attributed_to": alice.ap_id,
                "in_reply_to": None,
                "visibility": "members",
                "is_local": True,
                "content": SECRETS[2],
                "document": {
                    "id": members_id,
                    "type": "Note",
                    "attributedTo": alice.ap_id,
                    "content": SECRETS[2],
                    "to": [f"{buurt.ap_id}/members"],
                },
            },
        )
        ids = [row.ap_id for row in (public, unlisted, followers, direct)] + [members_id]
        guessed = (
            ids + [i + "/activity" for i in ids] + [instance.url("/activities/" + i.rsplit("/", 1)[1]) for i in ids]
        )
        pages = await crawl(instance, extra=guessed, usernames=["alice", "buurt"])
    bodies = "\n".join(page.body for page in pages)
    assert "PUBLIC-MARK-1111" in bodies  # the crawl does reach posts
    assert "UNLISTED-MARK-2222" in bodies  # unlisted: not listed, but served at its id
    for secret in SECRETS:
        leaks = [(p.url, p.accept) for p in pages if secret in p.body]
        assert leaks == [], (secret, leaks)
    for page in pages:
        if page.url in (followers.ap_id, direct.ap_id, members_id):
            assert page.status == 404, (page.url, page.status)
    outbox = [p for p in pages if "/outbox?page=" in p.url and "json" in p.content_type]
    assert outbox and all("UNLISTED-MARK-2222" not in p.body for p in outbox)
