"""What else a *limited* domain changes: name search leaves its actors out unless the
searcher follows them (an exact address still finds them, with the note); a moderator's
approval of a queued post into one of our neighbourhoods shows it on that neighbourhood's
page, feed and API and in its followers' home timelines (a post announced without a
decision stays hidden, and the approval does not reach other shared lists); and the page
of a remote event or poll says the server is limited, in English and Dutch."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from server.domain import moderation
from server.domain.actors import create_local_actor
from server.domain.group_posts import relay
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from server.storage import tags as tag_store
from server.storage import timelines
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from tests.harness import Instance, federating
from tests.server.storage.test_limited_flags import remote
from tests.server.web.browser_client import PageClient
from tests.server.web.test_limited_domain_lists import NOTE_EN, NOTE_NL, admin_of, limit, post_link, remote_post

ZOE_CARD = '<p class="handle">@zoe@spam.limited.example · '
ZOEY_CARD = '<p class="handle">@zoey@fine.example · '


async def test_name_search_leaves_out_limited_actors_unless_followed(open_instance: Instance) -> None:
    inst = open_instance
    admin = await admin_of(inst)
    zoe = await remote(inst, "zoe", "spam.limited.example")
    await remote(inst, "zoey", "fine.example")
    await limit(inst, admin)
    async with PageClient(inst) as anna, PageClient(inst) as bram, PageClient(inst) as visitor:
        await anna.register("anna")
        await bram.register("bram")
        anna_row = await actor_store.local_actor(inst.pool, "anna")
        assert anna_row is not None
        await follow_store.upsert_follow(inst.pool, f"{anna_row.ap_id}#follows/zoe", anna_row.id, zoe.id, "accepted")

        for who in (bram, visitor):  # by username, display name, part of a name
            for query in ("zoe", "Zoe", "zo"):
                status, page = await who.get(f"/search?q={query}")
                assert status == 200 and ZOEY_CARD in page and ZOE_CARD not in page, query
                assert NOTE_EN not in page
        status, page = await anna.get("/search?q=zoe")  # she follows zoe
        assert ZOE_CARD in page and NOTE_EN in page

        for query in ("zoe@spam.limited.example", "@zoe@spam.limited.example", zoe.ap_id):  # exact addresses
            status, page = await bram.get("/search?q=" + quote(query, safe=""))
            assert status == 200 and ZOE_CARD in page and NOTE_EN in page, query


async def test_a_moderators_approval_shows_a_limited_post_in_that_neighbourhood(instance: Instance) -> None:
    inst = instance
    fed = federating(inst)
    admin = await admin_of(inst)
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=anna, name="Oosterpark", posting_mode="open")
    hood = await neighbourhood_store.neighbourhood_by_actor_id(inst.pool, group.id)
    assert hood is not None
    bram = await create_local_actor(inst.pool, inst.settings, kind="Person", username="bram")
    await follow_store.upsert_follow(inst.pool, f"{bram.ap_id}#follows/g", bram.id, group.id, "accepted")
    zoe = await remote(inst, "zoe", "limited.example")
    await remote_post(inst, zoe, "Oude oproep", group=group)  # announced before the limit
    await limit(inst, admin)

    async def sent_by_zoe(text: str) -> ObjectRow:
        """zoe's post addressed to the neighbourhood, queued for its moderators."""
        ap_id = f"https://limited.example/objects/{uuid.uuid4().hex}"
        document = {"id": ap_id, "type": "Note", "content": f"<p>{text} #buurtfeest</p>", "attributedTo": zoe.ap_id}
        document |= {"audience": group.ap_id, "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        row = await object_store.insert_object(
            inst.pool,
            {
                "ap_id": ap_id,
                "type": "Note",
                "actor_id": zoe.id,
                "attributed_to": zoe.ap_id,
                "visibility": "public",
                "is_local": False,
                "content": document["content"],
                "document": document,
                "published_at": datetime.now(UTC),
            },
        )
        assert row is not None
        await tag_store.add_tags(inst.pool, row.id, ["buurtfeest"])
        create = {"id": ap_id + "/activity", "type": "Create", "actor": zoe.ap_id, "object": document}
        assert await relay(fed, hood, zoe, row, create) == "queued"
        return row

    approved = await sent_by_zoe("Goedgekeurde oproep")
    await sent_by_zoe("Wachtende oproep")
    async with PageClient(inst) as visitor:
        status, page = await visitor.get("/@oosterpark")
        assert status == 200 and "oproep" not in page
        assert await timelines.home_timeline(inst.pool, bram.id) == []
        assert await moderation.decide_queued_post(fed, anna, group, approved.ap_id, approve=True) == "announced"
        home = [row.ap_id for row in await timelines.home_timeline(inst.pool, bram.id)]
        assert home == [approved.ap_id]  # bram follows the neighbourhood, not zoe
        carla = await create_local_actor(inst.pool, inst.settings, kind="Person", username="carla")
        assert await timelines.home_timeline(inst.pool, carla.id) == []  # she follows neither
        for path in ("/@oosterpark", "/feeds/neighbourhoods/oosterpark.atom", "/api/v1/posts?neighbourhood=oosterpark"):
            status, page = await visitor.get(path)
            assert status == 200 and "Goedgekeurde oproep" in page, path
            assert "Wachtende oproep" not in page and "Oude oproep" not in page, path
        for path in ("/tags/buurtfeest", "/feeds/tags/buurtfeest.atom"):  # other shared lists: still hidden
            status, page = await visitor.get(path)
            assert status == 200 and "Goedgekeurde oproep" not in page, path
        status, page = await visitor.get(post_link(approved))
        assert status == 200 and NOTE_EN in page


async def remote_poll(inst: Instance, author: ActorRow) -> ObjectRow:
    ap_id = f"https://{author.domain}/objects/{uuid.uuid4().hex}"
    document = {"id": ap_id, "type": "Question", "content": "<p>Welke dag?</p>", "attributedTo": author.ap_id}
    row = await object_store.insert_object(
        inst.pool,
        {
            "ap_id": ap_id,
            "type": "Question",
            "actor_id": author.id,
            "attributed_to": author.ap_id,
            "visibility": "public",
            "is_local": False,
            "content": document["content"],
            "document": document,
            "published_at": datetime.now(UTC),
        },
    )
    assert row is not None
    await poll_store.insert_poll(
        inst.pool,
        row.id,
        multiple=False,
        ends_at=datetime.now(UTC) + timedelta(days=2),
        closed_at=None,
        options=[("zaterdag", 1), ("zondag", 2)],
    )
    return row


async def test_remote_event_and_poll_pages_say_the_server_is_limited(instance: Instance) -> None:
    inst = instance
    admin = await admin_of(inst)
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark")
    zoe = await remote(inst, "zoe", "limited.example")
    otto = await remote(inst, "otto", "fine.example")
    pages = {
        "limited event": await remote_post(inst, zoe, "Webinar zonnepanelen", group=group, kind="Event"),
        "limited poll": await remote_poll(inst, zoe),
        "event": await remote_post(inst, otto, "Buurtborrel", group=group, kind="Event"),
        "poll": await remote_poll(inst, otto),
    }
    await limit(inst, admin)
    async with PageClient(inst) as visitor, PageClient(inst, language="nl") as bezoeker:
        for name, row in pages.items():
            status, page = await visitor.get(post_link(row))
            assert status == 200 and ("zaterdag" in page or "event" in name), name
            assert (NOTE_EN in page) == name.startswith("limited"), name
            status, page = await bezoeker.get(post_link(row))
            assert status == 200 and (NOTE_NL in page) == name.startswith("limited"), name
