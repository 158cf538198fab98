"""OpenGraph tags for link previews: a neighbourhood, a discoverable resident, a public
post (with its image and alt text), a public event and poll get them, as escaped plain
text of at most about 200 characters; followers-only content, events and polls get none,
not even for the reader who may see them; a content warning hides the text and image."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from PIL import Image

from server.domain import events, polls
from server.domain.actors import create_account
from server.domain.compose import Draft, publish_draft
from server.domain.media import store_upload
from server.domain.neighbourhoods import create_neighbourhood
from server.storage.events import EventFields
from server.web.opengraph import MAX_DESCRIPTION, plain_text, shorten
from tests.harness import Instance, federating
from tests.resilience.crawl import meta_tags
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"
HOSTILE = 'Kom "buiten" <script>alert(1)</script> & <b onmouseover=x>dans</b>'


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def og_of(page: str) -> dict[str, str]:
    return {name: value for name, value in meta_tags(page) if name.startswith("og:")}


def head_of(page: str) -> str:
    return page.split("</head>", 1)[0]


def soon(name: str) -> EventFields:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    return EventFields(name=name, starts_at=start, ends_at=start + timedelta(hours=1), place_name="Buurthuis")


def test_descriptions_are_one_line_of_text_cut_at_a_word() -> None:
    assert plain_text("<p>Een</p><p>twee&amp;drie<script>alert(1)</script><br>vier\u202e\x00</p>") == (
        "Een twee&drie vier"
    )
    long = shorten("woord " * 100)
    assert len(long) <= MAX_DESCRIPTION and long.endswith("woord…")
    assert shorten("kort") == "kort"


async def test_public_pages_have_previews_and_private_ones_none(instance: Instance) -> None:
    fed = federating(instance)
    alice = await create_account(instance.pool, instance.settings, username="alice", password=PASSWORD, name="Alice")
    buurt = await create_neighbourhood(
        fed, "oosterpark", founder=alice, name="Oosterpark", description="<p>Samen in de <b>wijk</b></p>"
    )
    medium = await store_upload(instance.pool, instance.settings, alice, png(), 'Een rode "deur"')
    photo = await publish_draft(fed, alice, Draft(text=HOSTILE + " " + "lang " * 80, media_ids=(medium.id,)))
    warned = await publish_draft(
        fed, alice, Draft(text="GEHEIM-ONDER-WAARSCHUWING", summary="Spoilers", media_ids=(medium.id,))
    )
    private = await publish_draft(fed, alice, Draft(text="ALLEEN-VOLGERS-1", visibility="followers"))
    party = await events.create_event(fed, buurt, soon("Buurtfeest"), "<p>Met <i>muziek</i></p>")
    secret_party = await events.create_event(fed, alice, soon("GEHEIM-FEEST-2"), visibility="followers")
    poll = await polls.create_poll(fed, alice, "Welke kleur?", ["Rood", "Groen"])
    secret_poll = await polls.create_poll(fed, alice, "GEHEIME-PEILING-3", ["Ja", "Nee"], visibility="followers")

    async with PageClient(instance) as stranger:
        status, page = await stranger.get("/@oosterpark")
        assert status == 200
        og = og_of(page)
        assert og["og:title"] == "Oosterpark" and og["og:type"] == "website"
        assert og["og:url"] == instance.url("/@oosterpark")
        assert og["og:description"] == "Samen in de wijk"
        assert og["og:site_name"] == instance.settings.name

        status, page = await stranger.get("/@alice")
        og = og_of(page)
        assert og["og:type"] == "profile" and og["og:title"] == f"Alice (@alice@{instance.settings.domain})"

        status, page = await stranger.get(photo.ap_id.removeprefix(instance.settings.base_url))
        assert status == 200
        og = og_of(page)
        assert og["og:type"] == "article" and og["og:url"] == photo.ap_id
        assert og["og:title"] == f"Alice (@alice@{instance.settings.domain})"
        description = og["og:description"]
        # what she typed, as text: her markup was never markup
        assert description.startswith('Kom "buiten" <script>alert(1)</script> & <b onmouseover=x>dans</b> lang')
        assert len(description) <= MAX_DESCRIPTION and description.endswith("…")
        assert og["og:image"] == instance.url(f"/media/{medium.file_name}")
        assert og["og:image:alt"] == 'Een rode "deur"'
        head = head_of(page)
        assert "<script" not in head and "onmouseover=x>" not in head and '"deur"' not in head  # escaped

        status, page = await stranger.get(warned.ap_id.removeprefix(instance.settings.base_url))
        og = og_of(page)
        assert og["og:description"] == "Spoilers" and "og:image" not in og
        assert "GEHEIM-ONDER-WAARSCHUWING" not in head_of(page)

        status, page = await stranger.get("/post?uri=" + quote(party.ap_id, safe=""))
        assert status == 200
        og = og_of(page)
        assert og["og:title"] == "Buurtfeest" and og["og:url"] == party.ap_id
        assert "Buurthuis" in og["og:description"] and og["og:description"].endswith("Met muziek")

        status, page = await stranger.get("/post?uri=" + quote(poll.ap_id, safe=""))
        assert status == 200 and og_of(page)["og:description"] == "Welke kleur?"

    async with PageClient(instance) as author:  # alice may read her private things: still no previews
        assert await author.login("alice") == 200
        for hidden, mark in (
            (private, "ALLEEN-VOLGERS-1"),
            (secret_party, "GEHEIM-FEEST-2"),
            (secret_poll, "GEHEIME-PEILING-3"),
        ):
            status, page = await author.get("/post?uri=" + quote(hidden.ap_id, safe=""))
            assert status == 200 and mark in page, hidden.ap_id
            assert og_of(page) == {} and mark not in head_of(page).split("</title>", 1)[1]

    # a resident who is not discoverable: no preview of the profile
    await instance.pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", alice.id)
    async with PageClient(instance) as stranger:
        status, page = await stranger.get("/@alice")
        assert status == 200 and og_of(page) == {}
        status, page = await stranger.get("/")
        assert og_of(page) == {}  # pages that are not about one thing have none
