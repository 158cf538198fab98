"""The sanitiser against an XSS catalogue: nothing active survives, the allowlist does."""

from __future__ import annotations

import pytest

from server.domain.html import MAX_HTML_CHARS, sanitise_html

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<p onclick="alert(1)">klik</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<form action="https://evil.example"><input name="p"><button>ok</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<base href="https://evil.example/">',
    "<!--<script>alert(1)</script>-->",
    '<div><p><a href="https://ok.example" onmouseover="alert(1)">nested <b>bold</p></a>',
    "<<p>><a href=https://ok.example>unclosed",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<a href="https://ok.example" target="_blank" rel="opener">x</a>',
    '<span class="h-card evil-class" id="x" data-x="1">x</span>',
]
FORBIDDEN = (
    "<script",
    "onerror",
    "onclick",
    "onload",
    "onmouseover",
    "javascript:",
    "data:",
    "vbscript:",
    "<svg",
    "<iframe",
    "<object",
    "<embed",
    "<style",
    "style=",
    "<form",
    "<input",
    "<meta",
    "<base",
    "<img",
    "<template",
    "<math",
    "target=",
    'opener"',
    "evil-class",
    "id=",
    "data-x",
)


@pytest.mark.parametrize("dirty", XSS)
def test_nothing_active_survives(dirty: str) -> None:
    clean = sanitise_html(dirty).lower()
    for needle in FORBIDDEN:
        assert needle not in clean, (dirty, clean)


def test_allowlist_is_kept() -> None:
    html = (
        "<p>a<br><strong>b</strong><em>c</em><b>d</b><i>e</i><u>f</u><del>g</del></p>"
        "<pre><code>x = 1</code></pre><blockquote>q</blockquote>"
        '<ul><li>1</li></ul><ol start="2"><li>2</li></ol>'
    )
    assert sanitise_html(html) == html


def test_links_get_rel_and_only_http_https_mailto() -> None:
    out = sanitise_html('<a href="https://ok.example/p" class="mention hashtag">#x</a>')
    assert out == '<a href="https://ok.example/p" class="mention hashtag" rel="nofollow noopener noreferrer">#x</a>'
    assert 'href="mailto:a@b.example"' in sanitise_html('<a href="mailto:a@b.example">m</a>')
    assert "href" not in sanitise_html('<a href="ftp://x.example">f</a>')
    assert "href" not in sanitise_html('<a href="/relative">r</a>')


def test_mention_markup_survives() -> None:
    html = '<span class="h-card"><a href="https://x.example/@bob" class="u-url mention">@<span>bob</span></a></span>'
    assert sanitise_html(html) == html.replace('mention">', 'mention" rel="nofollow noopener noreferrer">')


def test_script_content_is_dropped_unknown_tags_keep_text() -> None:
    assert sanitise_html("<script>alert(1)</script>ok") == "ok"
    assert sanitise_html("<h1>Titel</h1>") == "Titel"


def test_input_is_capped() -> None:
    assert len(sanitise_html("a" * (MAX_HTML_CHARS + 500))) == MAX_HTML_CHARS


def test_empty() -> None:
    assert sanitise_html("") == ""
