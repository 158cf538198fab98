"""HTML injection sweep: scripts, event handlers, javascript: and data: links, SVG, styles,
nested and malformed markup in names, summaries and contents, local and remote, are shown
without active content anywhere we serve them (actor documents and pages, objects,
collections, WebFinger, feeds, calendars, the public API), and stored remote content is
inert already.

What counts as HTML is what the format says is HTML: in Atom, `type="html"` and
`type="xhtml"` elements; in RSS, `description` and `content:encoded`; in the API, the
fields documented as sanitised HTML (`content`); in AS2, `content` and `summary`. Names,
titles and iCalendar TEXT values are plain text by their formats' definitions and may
carry `<` as a character; calendars must carry no HTML variant (`X-ALT-DESC`,
`FMTTYPE=text/html`) at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import orjson

from server.domain import events, posts
from server.domain.actors import create_local_actor
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage.events import EventFields
from tests.harness import Instance, federating, wait_for
from tests.resilience.crawl import Page, active_content, crawl, html_fields
from tests.scripted_peer import scripted_peer
from tests.server.test_handlers import create, note, processed, send

PAYLOADS = (
    '<script>alert("x1")</script>',
    '<img src=x onerror=alert("x2")>',
    "<a href=\"javascript:alert('x3')\">klik</a>",
    '<a href=" JaVaScRiPt:alert(4)">klik</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg1KTwvc2NyaXB0Pg==">x5</a>',
    "<svg onload=alert(6)><circle/></svg>",
    '<iframe src="javascript:alert(7)"></iframe>',
    '<div style="background:url(javascript:alert(8))">x</div>',
    "<<script>script>alert(9)<</script>/script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(10)>",
    '"><img src=x onerror=alert(11)>',
    '<p title="</p><script>alert(12)</script>">t</p>',
    '<a href="&#106;avascript:alert(13)">e</a>',
    '<object data="data:text/html,<script>alert(14)</script>"></object>',
    '<form action="javascript:alert(15)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(16)">',
    "<details open ontoggle=alert(17)>",
    '<a href="vbscript:msgbox(18)">v</a>',
)
EVIL = "".join(PAYLOADS)


def test_the_checker_sees_every_payload() -> None:
    """The sweep is only as good as its detector: each payload, served raw, is caught."""
    for payload in PAYLOADS:
        if payload.startswith("<p title="):
            continue  # inert as it stands: dangerous only if a sanitiser unwrapped the attribute
        assert active_content(payload), payload


async def test_remote_content_is_stored_inert(instance: Instance) -> None:
    async with scripted_peer() as peer:
        bob = peer.make_actor("bob")
        peer.serve("/users/bob", dict(bob.document, name=EVIL[:400], summary=EVIL))
        post = note(peer, bob, EVIL)
        post["summary"] = EVIL
        await send(instance, peer, bob, create(peer, bob, post))
        await wait_for(lambda: processed(instance, 1))
        row = await object_store.object_by_ap_id(instance.pool, post["id"])
        assert row is not None and row.content
        assert active_content(row.content) == []
        actor = await actor_store.actor_by_ap_id(instance.pool, bob.ap_id)
        assert actor is not None  # stored as received text; every renderer must sanitise it


async def test_nothing_active_is_served_from_hostile_names_summaries_and_contents(instance: Instance) -> None:
    fed = federating(instance)
    alice = await create_local_actor(
        instance.pool, instance.settings, kind="Person", username="alice", name=EVIL[:300], summary=EVIL
    )
    row = await posts.create_note(fed, alice, EVIL)
    pages = await crawl(instance, extra=[row.ap_id], usernames=["alice"])
    checked = 0
    for page in pages:
        if page.status >= 400:
            continue
        if "html" in page.content_type:
            assert active_content(page.body) == [], page.url
            checked += 1
        else:
            known = ("json", "xml", "text/calendar")  # feeds and calendars: see the next test
            assert any(kind in page.content_type for kind in known), (page.url, page.content_type)
            if "json" in page.content_type:
                for fragment in html_fields(orjson.loads(page.body)):
                    assert active_content(fragment) == [], (page.url, fragment[:200])
                    checked += 1
    assert checked >= 5  # profile page, actor summary, object page and document, outbox page


async def test_a_content_warning_is_served_inert(instance: Instance) -> None:
    from server.domain.post_fields import PostOptions

    alice = await create_local_actor(instance.pool, instance.settings, kind="Person", username="alice")
    row = await posts.create_note(federating(instance), alice, "hallo", options=PostOptions(summary=EVIL[:480]))
    async with instance.session.get(row.ap_id, headers={"Accept": "application/activity+json"}) as resp:
        document = await resp.json(content_type=None)
    assert active_content(document["summary"]) == []


ATOM = "{http://www.w3.org/2005/Atom}"
RSS_HTML = ("description", "{http://purl.org/rss/1.0/modules/content/}encoded")


def feed_html(data: bytes) -> Iterator[str]:
    """The HTML-valued elements of an Atom or RSS document, as the HTML a reader renders."""
    for element in ElementTree.fromstring(data).iter():
        kind = element.get("type")
        if element.tag.startswith(ATOM) and kind == "html":
            yield element.text or ""
        elif element.tag.startswith(ATOM) and kind == "xhtml":
            yield ElementTree.tostring(element, encoding="unicode")
        elif element.tag in RSS_HTML:
            yield element.text or ""


def calendar_properties(text: str) -> Iterator[tuple[str, str, str]]:
    """(name, parameters, unescaped value) of every iCalendar content line."""
    for line in re.sub(r"\r?\n[ \t]", "", text).splitlines():
        head, _, value = line.partition(":")
        name, _, parameters = head.partition(";")
        value = re.sub(r"\\([nN,;\\])", lambda m: "\n" if m[1] in "nN" else m[1], value)
        yield name.upper(), parameters.upper(), value


def served(pages: list[Page], test: str) -> list[Page]:
    return [p for p in pages if p.status == 200 and test in (p.content_type + " " + p.url)]


async def test_nothing_active_in_feeds_calendars_and_api_output(instance: Instance) -> None:
    fed = federating(instance)
    alice = await create_local_actor(
        instance.pool, instance.settings, kind="Person", username="alice", name=EVIL[:300], summary=EVIL
    )
    await create_neighbourhood(fed, "buurt", founder=alice, name=EVIL[:100], description=EVIL[:1000])
    await posts.create_note(fed, alice, EVIL)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    fields = EventFields(name=EVIL[:200], starts_at=start, place_name=EVIL[:200], locality=PAYLOADS[1])
    party = await events.create_event(fed, alice, fields, EVIL)
    uid = party.ap_id.rsplit("/", 1)[1]
    pages = await crawl(
        instance,
        extra=[party.ap_id, instance.url(f"/calendar/events/{uid}.ics")],
        usernames=["alice", "buurt"],
        neighbourhoods=["buurt"],
    )

    feeds = [p for p in served(pages, "/feeds/") if "xml" in p.content_type]
    fragments = [fragment for page in feeds for fragment in feed_html(page.data)]
    assert len(feeds) >= 4 and any("alert" in f or "klik" in f for f in fragments)  # the payloads got in
    for fragment in fragments:
        assert active_content(fragment) == [], fragment[:200]

    calendars = served(pages, "text/calendar")
    assert calendars and any("alert" in p.body for p in calendars)  # names and places are in, as text
    for page in calendars:
        for name, parameters, value in calendar_properties(page.body):
            assert name != "X-ALT-DESC" and "TEXT/HTML" not in parameters, (page.url, name)
            if name == "DESCRIPTION":
                assert active_content(value) == [], (page.url, value[:200])

    api = [p for p in served(pages, "/api/v1/") if "json" in p.content_type]
    contents = [value for page in api for value in api_html(orjson.loads(page.data))]
    assert len(api) >= 3 and contents
    for fragment in contents:
        assert active_content(fragment) == [], fragment[:200]


def api_html(document: Any) -> Iterator[str]:
    """The API fields documented as sanitised HTML: a post's `content`, a neighbourhood's
    `summary` (a post's `summary` is its content warning, plain text)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("content"), str):
                yield node["content"]
            if isinstance(node.get("summary"), str) and "feeds" in node:  # a Neighbourhood
                yield node["summary"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


async def test_an_event_place_is_served_inert_in_its_as2_document(instance: Instance) -> None:
    """AS2 `summary` is HTML; an event's summary is built from its date and place."""
    alice = await create_local_actor(instance.pool, instance.settings, kind="Person", username="alice")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    fields = EventFields(name=EVIL[:200], starts_at=start, place_name=EVIL[:200])
    party = await events.create_event(federating(instance), alice, fields, EVIL)
    async with instance.session.get(party.ap_id, headers={"Accept": "application/activity+json"}) as resp:
        document = await resp.json(content_type=None)
    for fragment in html_fields(document):
        assert active_content(fragment) == [], fragment[:200]
