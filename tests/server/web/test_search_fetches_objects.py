"""Search by URL for an event or poll this server does not know yet, over two real
instances: it is fetched from its server (signed, SSRF-safe), stored as an event or poll,
and shown as a card linking to its page here. A plain post, a followers-only event and a
visitor who is not signed in fetch and store nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from server.domain import events, polls, posts
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from server.storage.events import EventFields
from tests.harness import PEER_ADDRESSES, federating
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
        note = await posts.create_note(fed, buurt, "Gewoon een bericht")
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

        # a plain post is not taken in this way; a followers-only event is not served to us
        for url in (note.ap_id, hidden.ap_id):
            status, page = await bob.get(search_for(url))
            assert status == 200 and NOTHING in page and FOUND not in page, url
            assert await object_store.object_by_ap_id(b.pool, url) is None, url
