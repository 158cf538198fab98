"""Typed text → post HTML: mentions, hashtags, links; everything else escaped; caps."""

from __future__ import annotations

import re

from server.domain.html import sanitise_html
from server.domain.post_text import (
    MAX_MENTIONS,
    MAX_TAGS,
    MentionLink,
    find_hashtags,
    find_mentions,
    normalise_tag,
    text_to_html,
)

HOST = "buurt.example"


def render(text: str, mentions: dict[str, MentionLink] | None = None) -> str:
    return text_to_html(text, local_host=HOST, mentions=mentions or {}, tag_url=lambda n: f"https://{HOST}/tags/{n}")


def test_mentions_found_with_and_without_host() -> None:
    text = "Hoi @Bob@Example.org. en @anna, niet mail@x.example of https://x.example/@carol"
    assert find_mentions(text, HOST) == ["bob@example.org", f"anna@{HOST}"]


def test_hashtags_normalised_and_digits_only_skipped() -> None:
    assert find_hashtags("#Buurtfeest #buurtFEEST #123 #Straße a#b") == ["buurtfeest", "strasse"]
    assert normalise_tag("#Ｂuurt") == "buurt"


def test_mentions_and_tags_are_capped() -> None:
    many = " ".join(f"@u{i}@x{i}.example #t{i}" for i in range(10_000))
    assert len(find_mentions(many, HOST)) == MAX_MENTIONS
    assert len(find_hashtags(many)) == MAX_TAGS


def test_html_links_mentions_tags_and_escapes() -> None:
    link = MentionLink("https://example.org/users/bob", "https://example.org/@bob")
    html = render(
        "Hoi @bob@example.org <script>x</script>\nzie https://x.example/a?b=1&c=2).\n\n#Feest",
        {"bob@example.org": link},
    )
    assert html.startswith('<p>Hoi <span class="h-card"><a href="https://example.org/@bob" class="u-url mention">')
    assert "&lt;script&gt;x&lt;/script&gt;<br>" in html
    assert '<a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a>).' in html
    assert html.endswith(
        '<p><a href="https://buurt.example/tags/feest" class="mention hashtag">#<span>Feest</span></a></p>'
    )
    assert sanitise_html(html).count("<a ") == 3


def test_unresolved_mention_stays_text() -> None:
    assert render("@nobody@nowhere.example") == "<p>@nobody@nowhere.example</p>"


def test_quotes_in_urls_can_not_break_out() -> None:
    out = sanitise_html(render('https://x.example/"onmouseover="alert(1)'))
    assert '<a href="https://x.example/" rel="nofollow noopener noreferrer">https://x.example/</a>' in out
    assert not re.search(r"<[^>]*onmouseover", out)
