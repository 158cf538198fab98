"""Content from *limited* domains: shared lists (neighbourhood page, tag page, tag search,
neighbourhood feed and calendar, the public API's neighbourhood posts) leave out what
actors on a limited domain (or a subdomain of one) wrote; the same posts come back once
the limit is lifted. A resident who follows such an actor still sees its posts in their
home timeline, and a post's own page still answers, with a note in English and Dutch."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from server.domain import moderation
from server.domain.actors import create_account, create_local_actor
from server.storage import actors as actor_store
from server.storage import calendar_events as event_list_store
from server.storage import events as event_store
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from server.storage import moderation_views, threads, timelines, web_reads
from server.storage import neighbourhoods as group_store
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage.actors import ActorRow
from server.storage.calendar_events import EventScope, EventWindow
from server.storage.events import EventFields
from server.storage.feeds import PostScope
from server.storage.objects import ObjectRow
from tests.harness import Instance, federating
from tests.server.feed_data import SOON
from tests.server.storage.test_limited_flags import remote
from tests.server.web.browser_client import PageClient

NOTE_EN = "This account is on a server the administrators have limited."
NOTE_NL = "Dit account staat op een server die de beheerders hebben beperkt."


async def remote_post(
    inst: Instance, author: ActorRow, text: str, *, group: ActorRow, kind: str = "Note", **extra: Any
) -> ObjectRow:
    """A public post (or event) by a remote actor, tagged #buurtfeest, sent to and
    announced by `group`."""
    ap_id = f"https://{author.domain}/objects/{uuid.uuid4().hex}"
    document = {"id": ap_id, "type": kind, "content": f"<p>{text} #buurtfeest</p>", "attributedTo": author.ap_id}
    document |= {"audience": group.ap_id, **extra}
    row = await object_store.insert_object(
        inst.pool,
        {
            "ap_id": ap_id,
            "type": kind,
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
    await tag_store.add_tags(inst.pool, row.id, ["buurtfeest"])
    await group_store.insert_group_post(inst.pool, group.id, row.id, "announced")
    if kind == "Event":
        await event_store.insert_event(inst.pool, row.id, EventFields(name=text, starts_at=SOON, timezone="UTC"))
    return row


async def admin_of(inst: Instance) -> ActorRow:
    return await create_account(
        inst.pool, inst.settings, username="beheer", password="lang-genoeg-wachtwoord", is_admin=True
    )


def texts(posts: list[Any]) -> str:
    return " ".join(p.post.content if hasattr(p, "post") else p.content for p in posts)


async def shared_lists(inst: Instance, group: ActorRow) -> str:
    """What every shared list (storage side) shows, as one text."""
    pool = inst.pool
    found = [
        texts(await web_reads.neighbourhood_posts(pool, group)),
        texts(await web_reads.search_tag(pool, "buurtfeest")),
        " ".join(o.content for o in await tag_store.public_posts_with_tag(pool, "buurtfeest")),
        " ".join(p.content for p in await feed_store.public_posts(pool, PostScope(neighbourhood_id=group.id), 50)),
        " ".join(p.content for p in await feed_store.public_posts(pool, PostScope(tag="buurtfeest"), 50)),
        " ".join(
            e.name
            for e in await event_list_store.public_events(
                pool, EventScope(neighbourhood_id=group.id), EventWindow(), 50
            )
        ),
    ]
    return " | ".join(found)


async def limit(inst: Instance, admin: ActorRow) -> None:
    await moderation.block_domain(federating(inst), admin, "limited.example", "limit")


async def lift(inst: Instance) -> None:
    assert await moderation_views.remove_domain_block(inst.pool, "limited.example")


def post_link(row: ObjectRow) -> str:
    return "/post?uri=" + quote(row.ap_id, safe="")


async def test_shared_lists_hide_limited_domains_until_the_limit_is_lifted(open_instance: Instance) -> None:
    inst = open_instance
    admin = await admin_of(inst)
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark", name="Oosterpark")
    zoe = await remote(inst, "zoe", "spam.limited.example:8443")  # a subdomain of the limited domain, with a port
    otto = await remote(inst, "otto", "fine.example")
    await remote_post(inst, zoe, "Gratis zonnepanelen", group=group)
    await remote_post(inst, zoe, "Webinar zonnepanelen", group=group, kind="Event")
    await remote_post(inst, otto, "Rommelmarkt zaterdag", group=group)
    await remote_post(inst, otto, "Buurtborrel", group=group, kind="Event")

    await limit(inst, admin)
    seen = await shared_lists(inst, group)
    assert "zonnepanelen" not in seen
    assert seen.count("Rommelmarkt") == 5 and "Buurtborrel" in seen  # the others still show everywhere
    async with PageClient(inst) as visitor:
        for path in ("/@oosterpark", "/tags/buurtfeest", "/search?q=%23buurtfeest"):
            status, page = await visitor.get(path)
            assert status == 200 and "Rommelmarkt" in page and "zonnepanelen" not in page, path
        for path in (
            "/feeds/neighbourhoods/oosterpark.atom",
            "/calendar/neighbourhoods/oosterpark.ics",
            "/api/v1/posts?neighbourhood=oosterpark",
            "/api/v1/events?neighbourhood=oosterpark",
        ):
            status, body = await visitor.get(path)
            assert status == 200 and "zonnepanelen" not in body, path
            assert "Rommelmarkt" in body or "Buurtborrel" in body, path

    await lift(inst)
    seen = await shared_lists(inst, group)
    assert seen.count("Gratis zonnepanelen") == 5 and "Webinar zonnepanelen" in seen
    async with PageClient(inst) as visitor:
        for path in ("/@oosterpark", "/tags/buurtfeest", "/search?q=%23buurtfeest"):
            status, page = await visitor.get(path)
            assert status == 200 and "Gratis zonnepanelen" in page, path
        status, body = await visitor.get("/feeds/neighbourhoods/oosterpark.atom")
        assert status == 200 and "Gratis zonnepanelen" in body
        status, body = await visitor.get("/calendar/neighbourhoods/oosterpark.ics")
        assert status == 200 and "Webinar zonnepanelen" in body


async def test_followers_still_see_limited_posts_and_their_page_says_so(open_instance: Instance) -> None:
    inst = open_instance
    admin = await admin_of(inst)
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark", name="Oosterpark")
    zoe = await remote(inst, "zoe", "limited.example")
    async with PageClient(inst) as anna, PageClient(inst) as bram, PageClient(inst, language="nl") as carla:
        await anna.register("anna")
        await bram.register("bram")
        await carla.register("carla")
        anna_row = await actor_store.local_actor(inst.pool, "anna")
        bram_row = await actor_store.local_actor(inst.pool, "bram")
        assert anna_row is not None and bram_row is not None
        await follow_store.upsert_follow(inst.pool, f"{anna_row.ap_id}#follows/zoe", anna_row.id, zoe.id, "accepted")
        await follow_store.upsert_follow(inst.pool, f"{bram_row.ap_id}#follows/g", bram_row.id, group.id, "accepted")
        row = await remote_post(inst, zoe, "Gratis zonnepanelen", group=group)
        await limit(inst, admin)

        _, page = await anna.get("/home")  # she follows zoe
        assert "Gratis zonnepanelen" in page
        _, page = await bram.get("/home")  # he follows only the neighbourhood that announced it
        assert "Gratis zonnepanelen" not in page
        assert [p.ap_id for p in await timelines.home_timeline(inst.pool, anna_row.id)] == [row.ap_id]
        assert await timelines.home_timeline(inst.pool, bram_row.id) == []

        status, page = await bram.get(post_link(row))  # its own page, reached by link
        assert status == 200 and "Gratis zonnepanelen" in page and NOTE_EN in page
        status, page = await carla.get(post_link(row))
        assert status == 200 and NOTE_NL in page
        status, page = await bram.get("/search?q=zoe@limited.example")  # by address: names leave zoe out
        assert NOTE_EN in page

        await lift(inst)
        _, page = await bram.get("/home")
        assert "Gratis zonnepanelen" in page
        status, page = await bram.get(post_link(row))
        assert status == 200 and NOTE_EN not in page


async def test_replies_from_limited_domains_reach_only_their_followers_in_a_thread(instance: Instance) -> None:
    inst = instance
    admin = await admin_of(inst)
    group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="oosterpark")
    anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
    bram = await create_local_actor(inst.pool, inst.settings, kind="Person", username="bram")
    zoe = await remote(inst, "zoe", "limited.example")
    parent = await remote_post(inst, anna, "Wie helpt met opruimen?", group=group)
    reply = await remote_post(inst, zoe, "Koop zonnepanelen", group=group, inReplyTo=parent.ap_id)
    await inst.pool.execute("UPDATE objects SET in_reply_to = $1 WHERE id = $2", parent.ap_id, reply.id)
    await follow_store.upsert_follow(inst.pool, f"{anna.ap_id}#follows/zoe", anna.id, zoe.id, "accepted")
    await limit(inst, admin)

    def ids(rows: list[ObjectRow]) -> list[str]:
        return [r.ap_id for r in rows]

    assert ids(await threads.thread_of(inst.pool, parent.ap_id, bram.id)) == [parent.ap_id]
    assert ids(await threads.thread_of(inst.pool, parent.ap_id, None)) == [parent.ap_id]
    assert ids(await threads.thread_of(inst.pool, parent.ap_id, anna.id)) == [parent.ap_id, reply.ap_id]
    assert ids(await threads.thread_of(inst.pool, reply.ap_id, bram.id)) == [parent.ap_id, reply.ap_id]  # by link
    assert await web_reads.public_replies(inst.pool, parent.ap_id) == []
    await lift(inst)
    assert ids(await threads.thread_of(inst.pool, parent.ap_id, bram.id)) == [parent.ap_id, reply.ap_id]
    assert len(await web_reads.public_replies(inst.pool, parent.ap_id)) == 1
