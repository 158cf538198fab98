"""Atom and RSS builders, parsed with feedparser: escaping, titles, validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser  # type: ignore[import-untyped]

from server.domain.feeds import FeedMeta, is_not_modified, item_title, render_atom, render_rss
from server.storage.feeds import FeedPost

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
META = FeedMeta(
    title='Buurt "Oost" & <co>',
    subtitle="<p>Alles uit <b>Oost</b></p>",
    page_url="https://buurt.test/@oost",
    self_url="https://buurt.test/feeds/neighbourhoods/oost.atom",
    generator="Buurtplein",
    fallback_updated=T0,
)


def _post(n: int, **changes: object) -> FeedPost:
    values: dict[str, object] = {
        "id": n,
        "ap_id": f"https://buurt.test/objects/{n}",
        "type": "Note",
        "content": f"<p>Bericht {n} &amp; meer</p>",
        "published_at": T0 + timedelta(hours=n),
        "updated_at": None,
        "url": f"https://buurt.test/objects/{n}",
        "title": "",
        "summary": "",
        "audience": None,
        "author_ap_id": "https://buurt.test/actors/anna",
        "author_username": "anna",
        "author_domain": "buurt.test",
        "author_name": "Anna",
        "author_url": "https://buurt.test/@anna",
        "tags": ("markt",),
    }
    values.update(changes)
    return FeedPost(**values)  # type: ignore[arg-type]


def test_atom_is_valid_and_escapes_everything() -> None:
    evil = _post(1, content="<p>x</p>]]><script>alert(1)</script>\x00\x0b", title="a < b & c")
    rendered = render_atom(META, [evil, _post(2)])
    parsed = feedparser.parse(rendered.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == 'Buurt "Oost" & <co>'
    assert parsed.feed.subtitle == "Alles uit Oost"
    first = parsed.entries[0]
    assert first.title == "a < b & c"
    assert first.content[0].type == "text/html"
    assert rendered.body.count(b"<script") == 0  # escaped inside the text node
    assert parsed.feed.links[0].href == META.self_url


def test_rss_is_valid() -> None:
    rendered = render_rss(META, [_post(1, summary="CW: spoilers"), _post(2)])
    parsed = feedparser.parse(rendered.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.entries[0].title == "CW: spoilers"
    assert parsed.entries[0].author == "Anna"
    assert parsed.entries[1].id == "https://buurt.test/objects/2"


def test_last_modified_is_newest_change_and_etag_follows_content() -> None:
    edited = _post(1, updated_at=T0 + timedelta(days=2))
    one = render_atom(META, [edited, _post(2)])
    assert one.last_modified == T0 + timedelta(days=2)
    assert render_atom(META, [edited, _post(2)]).etag == one.etag
    assert render_atom(META, [_post(2)]).etag != one.etag
    assert render_atom(META, []).last_modified == T0


def test_title_falls_back_to_text() -> None:
    assert item_title(_post(1, content="<p>" + "woord " * 40 + "</p>")).endswith("…")
    assert len(item_title(_post(1, content="<p>" + "woord " * 40 + "</p>"))) <= 80


def test_conditional_requests() -> None:
    etag = '"abc"'
    assert is_not_modified('"abc"', None, etag, T0)
    assert is_not_modified('W/"abc", "x"', None, etag, T0)
    assert not is_not_modified('"x"', "Sat, 01 Mar 2025 12:00:00 GMT", etag, T0)  # If-None-Match wins
    assert is_not_modified(None, "Sat, 01 Mar 2025 12:00:00 GMT", etag, T0)
    assert not is_not_modified(None, "Sat, 01 Mar 2025 11:59:59 GMT", etag, T0)
    assert not is_not_modified(None, "garbage", etag, T0)
