"""The notifications page names RSVPs and new poll votes, in English and Dutch."""

from __future__ import annotations

from server.domain import events, polls, rsvp
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from tests.harness import Instance, federating
from tests.server.domain.test_content_notifications import next_week
from tests.server.web.browser_client import PageClient


async def test_the_notifications_page_names_rsvps_and_poll_votes(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as ria_page:
        await ria_page.register("ria")
        ria = await actor_store.local_actor(open_instance.pool, "ria")
        assert ria is not None
        bas = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bas")
        event = await events.create_event(fed, ria, next_week())
        poll = await polls.create_poll(fed, ria, "Bankje?", ["Ja", "Nee"])
        await rsvp.rsvp(fed, bas, event.ap_id, "maybe")
        await polls.vote(fed, bas, poll.ap_id, ["Ja"])
        status, page = await ria_page.get("/notifications")
        assert status == 200 and "bas might come to your event" in page and "New votes in your poll" in page
        ria_page.language = "nl"
        status, page = await ria_page.get("/notifications")
        assert "bas komt misschien naar je activiteit" in page and "Nieuwe stemmen in je peiling" in page
