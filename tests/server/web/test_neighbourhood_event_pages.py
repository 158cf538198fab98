"""The event composer holds a resident's event in a neighbourhood they belong to: only
their own neighbourhoods are offered, a wrong choice or a followers-only event is an error
next to the field, and a public event shows on the neighbourhood page and in its
iCalendar, Atom and RSS feeds — an unlisted one in none of them; the event's page names
the neighbourhood. Over plain HTTP."""

from __future__ import annotations

from server.domain import membership
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_pages import event_form

PUBLIC_VIEWS = (
    "/@oost",
    "/calendar/neighbourhoods/oost.ics",
    "/feeds/neighbourhoods/oost.atom",
    "/feeds/neighbourhoods/oost.rss",
)


async def test_a_resident_holds_an_event_in_their_neighbourhood(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as founder, PageClient(open_instance) as browser:
        await founder.register("anna")
        await browser.register("bram")
        anna = await actor_store.local_actor(open_instance.pool, "anna")
        bram = await actor_store.local_actor(open_instance.pool, "bram")
        assert anna is not None and bram is not None
        oost = await create_neighbourhood(fed, "oost", founder=anna, name="Oost")
        await create_neighbourhood(fed, "west", founder=anna, name="West")
        await membership.join(fed, bram, oost)

        status, page = await browser.get("/compose/event?neighbourhood=oost")
        assert status == 200 and 'name="neighbourhood"' in page and "Hold it in a neighbourhood" in page
        assert '<option value="oost" selected>Oost</option>' in page and 'value="west"' not in page

        status, page, _ = await browser.submit("/compose/event", event_form(neighbourhood="west"))
        assert status == 400 and "Choose a neighbourhood from the list." in page
        form = event_form(neighbourhood="oost", visibility="followers")
        status, page, _ = await browser.submit("/compose/event", form)
        assert status == 400 and "An event in a neighbourhood is public or unlisted." in page
        assert 'aria-describedby="f-neighbourhood-error f-neighbourhood-help"' in page
        assert await open_instance.pool.fetchval("SELECT count(*) FROM events") == 0

        status, page, resp = await browser.submit(
            "/compose/event", event_form(name="Straatfeest", neighbourhood="oost")
        )
        assert status == 200 and "<dt>Neighbourhood</dt>" in page and ">Oost</a></dd>" in page  # the event page
        event = await object_store.object_by_ap_id(open_instance.pool, open_instance.url(resp.url.path))
        assert event is not None and event.document is not None
        assert event.actor_id == bram.id and event.document["audience"] == oost.ap_id
        assert await neighbourhood_store.group_post(open_instance.pool, oost.id, event.ap_id) is not None
        form = event_form(name="Geheim overleg", neighbourhood="oost", visibility="unlisted")
        status, _, _ = await browser.submit("/compose/event", form)
        assert status == 200
        for path in PUBLIC_VIEWS:
            status, page = await browser.get(path)
            assert status == 200 and "Straatfeest" in page, path
            assert "Geheim overleg" not in page, path


async def test_the_composer_in_dutch_offers_no_neighbourhood_to_a_non_member(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance, language="nl") as browser:
        await browser.register("bram")
        bram = await actor_store.local_actor(open_instance.pool, "bram")
        assert bram is not None
        oost = await create_neighbourhood(fed, "oost", name="Oost")
        status, page = await browser.get("/compose/event")
        assert status == 200 and 'name="neighbourhood"' not in page
        await membership.join(fed, bram, oost)
        status, page = await browser.get("/compose/event")
        assert "Organiseren in een buurt" in page and "Geen buurt" in page
