"""Search by URL for a post, event or poll this server does not know yet, over two real
instances: it is fetched from its server (signed, SSRF-safe), stored once as a post, event
or poll, and shown as a card linking to its page here. A followers-only event or post and a
visitor who is not signed in fetch and store nothing. A scripted server checks a post's page
URL that answers with another id (followed to that id, and remembered: the same page
searched again makes no request), and followers-only and direct posts its server does
serve (not taken in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from server.config import Settings
from server.domain import events, polls, posts
from server.domain.neighbourhoods import create_neighbourhood
from server.handlers.lookup import PageIds
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from server.storage.events import EventFields
from tests.harness import PEER_ADDRESSES, federating
from tests.scripted_peer import AS, scripted_peer
from tests.server.web.browser_client import PageClient

FOUND = "Found at this address"
NOTHING = "Nothing was found at that address."


def link_of(ap_id: str) -> str:
    return "/post?uri=" + quote(ap_id, safe="")


def search_for(url: str) -> str:
    return "/search?q=" + quote(url, safe="")


async def test_an_unknown_event_or_poll_is_fetched_stored_and_linked(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0]) as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(b) as visitor,
        PageClient(b) as bob,
    ):
        fed = federating(a)
        buurt = await create_neighbourhood(fed, "oosterpark", name="Oosterpark")
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
        fields = EventFields(name="Boomfeest", starts_at=start, ends_at=start + timedelta(hours=2), place_name="Plein")
        event = await events.create_event(fed, buurt, fields, "<p>Wij planten een boom</p>")
        poll = await polls.create_poll(fed, buurt, "<p>Welke boom?</p>", ["Linde", "Eik"])
        hidden = await events.create_event(
            fed, buurt, EventFields(name="Besloten", starts_at=start), visibility="followers"
        )
        assert await object_store.object_by_ap_id(b.pool, event.ap_id) is None  # b has never heard of them

        status, page = await visitor.get(search_for(event.ap_id))  # not signed in: no fetch
        assert status == 200 and "Log in to look up" in page
        assert await object_store.object_by_ap_id(b.pool, event.ap_id) is None

        await bob.register("bob")
        status, page = await bob.get(search_for(event.ap_id))
        assert status == 200 and FOUND in page and "Boomfeest" in page
        assert f'href="{link_of(event.ap_id)}"' in page
        stored = await event_store.event_by_ap_id(b.pool, event.ap_id)
        assert stored is not None and not stored.is_local and stored.fields.name == "Boomfeest"
        assert stored.fields.place_name == "Plein"
        status, page = await bob.get(link_of(event.ap_id))
        assert status == 200 and "Boomfeest" in page and "Wij planten een boom" in page
        assert "organised on another server" in page

        status, page = await bob.get(search_for(poll.ap_id))
        assert status == 200 and FOUND in page and f'href="{link_of(poll.ap_id)}"' in page
        stored_poll = await poll_store.poll_by_ap_id(b.pool, poll.ap_id)
        assert stored_poll is not None and not stored_poll.is_local
        status, page = await bob.get(link_of(poll.ap_id))
        assert status == 200 and "Welke boom?" in page and "Linde" in page

        # a followers-only event is not served to us
        status, page = await bob.get(search_for(hidden.ap_id))
        assert status == 200 and NOTHING in page and FOUND not in page
        assert await object_store.object_by_ap_id(b.pool, hidden.ap_id) is None


async def test_an_unknown_public_post_is_fetched_stored_once_and_linked(make_instance: Any) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0]) as a,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as b,
        PageClient(b) as visitor,
        PageClient(b) as bob,
    ):
        fed = federating(a)
        buurt = await create_neighbourhood(fed, "oosterpark", name="Oosterpark")
        note = await posts.create_note(fed, buurt, "Wie heeft er een ladder te leen? #klussen")
        unlisted = await posts.create_note(fed, buurt, "Stil bericht over de ladder", visibility="unlisted")
        private = await posts.create_note(fed, buurt, "Alleen voor volgers", visibility="followers")

        status, page = await visitor.get(search_for(note.ap_id))  # not signed in: no fetch
        assert status == 200 and "Log in to look up" in page
        assert await object_store.object_by_ap_id(b.pool, note.ap_id) is None

        await bob.register("bob")
        status, page = await bob.get(search_for(note.ap_id))
        assert status == 200 and FOUND in page and "ladder te leen" in page
        assert f'href="{link_of(note.ap_id)}"' in page
        stored = await object_store.object_by_ap_id(b.pool, note.ap_id)
        assert stored is not None and not stored.is_local and stored.type == "Note"
        assert stored.visibility == "public"
        status, page = await bob.get(link_of(note.ap_id))
        assert status == 200 and "ladder te leen" in page

        # a second search finds it here: no fetch again, no second copy
        status, page = await bob.get(search_for(note.ap_id))
        assert status == 200 and FOUND in page and "ladder te leen" in page
        count = await b.pool.fetchval("SELECT count(*) FROM objects WHERE ap_id = $1", note.ap_id)
        assert count == 1

        status, page = await bob.get(search_for(unlisted.ap_id))
        assert status == 200 and FOUND in page and "Stil bericht" in page
        stored_unlisted = await object_store.object_by_ap_id(b.pool, unlisted.ap_id)
        assert stored_unlisted is not None and stored_unlisted.visibility == "unlisted"

        status, page = await bob.get(search_for(private.ap_id))  # not served to us
        assert status == 200 and NOTHING in page and "Alleen voor volgers" not in page
        assert await object_store.object_by_ap_id(b.pool, private.ap_id) is None


def _note(base: str, path: str, author: str, to: list[str], cc: list[str], text: str) -> dict[str, Any]:
    return {
        "@context": AS,
        "id": base + path,
        "type": "Note",
        "attributedTo": author,
        "content": f"<p>{text}</p>",
        "published": "2026-01-05T10:00:00Z",
        "url": base + "/@carla/1",
        "to": to,
        "cc": cc,
    }


async def test_a_page_url_is_followed_to_its_id_and_closed_posts_are_not_taken_in(make_instance: Any) -> None:
    public = "https://www.w3.org/ns/activitystreams#Public"
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as b,
        scripted_peer(PEER_ADDRESSES[3]) as peer,
        PageClient(b) as bob,
    ):
        carla = peer.make_actor("carla")
        followers = carla.ap_id + "/followers"
        open_note = _note(peer.base, "/users/carla/statuses/1", carla.ap_id, [public], [followers], "Open bericht")
        peer.serve("/users/carla/statuses/1", open_note)
        peer.serve("/@carla/1", open_note)  # the page URL answers AS2 with the id
        closed = _note(peer.base, "/users/carla/statuses/2", carla.ap_id, [followers], [], "Voor volgers")
        peer.serve("/users/carla/statuses/2", closed)
        direct = _note(peer.base, "/users/carla/statuses/3", carla.ap_id, [b.url("/users/bob")], [], "Direct")
        peer.serve("/users/carla/statuses/3", direct)
        # a page claiming an id its origin does not serve
        peer.serve("/@carla/9", _note(peer.base, "/users/carla/statuses/9", carla.ap_id, [public], [], "Verzonnen"))

        await bob.register("bob")
        status, page = await bob.get(search_for(peer.base + "/@carla/1"))
        assert status == 200 and FOUND in page and "Open bericht" in page
        assert f'href="{link_of(open_note["id"])}"' in page
        assert peer.gets("/users/carla/statuses/1") == 1  # fetched again from its own id
        stored = await object_store.object_by_ap_id(b.pool, open_note["id"])
        assert stored is not None and stored.type == "Note" and stored.visibility == "public"

        status, page = await bob.get(search_for(open_note["id"]))  # known: not fetched again
        assert status == 200 and FOUND in page and peer.gets("/users/carla/statuses/1") == 1
        status, page = await bob.get(search_for(peer.base + "/@carla/1"))  # same object, one copy
        assert status == 200 and FOUND in page
        assert await b.pool.fetchval("SELECT count(*) FROM objects WHERE type = 'Note' AND NOT is_local") == 1

        for path in ("/users/carla/statuses/2", "/users/carla/statuses/3", "/@carla/9"):
            status, page = await bob.get(search_for(peer.base + path))
            assert status == 200 and FOUND not in page, path
        for path in ("/users/carla/statuses/2", "/users/carla/statuses/3", "/users/carla/statuses/9"):
            assert await object_store.object_by_ap_id(b.pool, peer.base + path) is None, path


async def test_a_page_url_searched_again_is_not_fetched_again(make_instance: Any) -> None:
    public = "https://www.w3.org/ns/activitystreams#Public"
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as b,
        scripted_peer(PEER_ADDRESSES[3]) as peer,
        PageClient(b) as bob,
        PageClient(b) as cor,
    ):
        carla = peer.make_actor("carla")
        note = _note(peer.base, "/users/carla/statuses/1", carla.ap_id, [public], [carla.ap_id + "/followers"], "Fiets")
        peer.serve("/users/carla/statuses/1", note)
        peer.serve("/@carla/1", note)
        await bob.register("bob")
        await cor.register("cor")
        status, page = await bob.get(search_for(peer.base + "/@carla/1"))
        assert status == 200 and FOUND in page and "Fiets" in page
        pages, objects = peer.gets("/@carla/1"), peer.gets("/users/carla/statuses/1")
        assert pages >= 1 and objects == 1
        for client in (bob, cor):  # the same page again, by anyone: the remembered id, no request
            status, page = await client.get(search_for(peer.base + "/@carla/1"))
            assert status == 200 and FOUND in page and "Fiets" in page
            assert f'href="{link_of(note["id"])}"' in page
        assert (peer.gets("/@carla/1"), peer.gets("/users/carla/statuses/1")) == (pages, objects)


def test_remembered_page_ids_are_bounded_in_size_and_time() -> None:
    settings = Settings(domain="buurt.example")
    now = [0.0]
    ids = PageIds(max_size=2, ttl=60.0, clock=lambda: now[0])
    ids.remember(settings, "https://a.example/@x/1", "https://a.example/notes/1")
    ids.remember(settings, "https://a.example/@x/2", "https://a.example/notes/2")
    assert ids.get(settings, "https://a.example/@x/1") == "https://a.example/notes/1"  # now the newest used
    ids.remember(settings, "https://a.example/@x/3", "https://a.example/notes/3")
    assert len(ids) == 2 and ids.get(settings, "https://a.example/@x/2") is None  # the least recently used went
    assert ids.get(Settings(domain="ander.example"), "https://a.example/@x/1") is None  # another instance
    now[0] = 61.0
    assert ids.get(settings, "https://a.example/@x/1") is None and len(ids) == 1  # too old
