"""The one HTML sanitiser for post content, local and remote (an allowlist like Mastodon's).

Kept: paragraphs, line breaks, links, inline emphasis, code, quotes and lists. Links keep
only `href` (http, https, mailto; absolute) and a few microformat classes, and always get
`rel="nofollow noopener noreferrer"`. Everything else — scripts, styles, event handlers,
`javascript:` and `data:` URLs, SVG, images, iframes, forms — is removed; the content of
script-like elements goes with them, other unknown elements leave their text behind.
"""

from __future__ import annotations

import nh3

MAX_HTML_CHARS = 100_000
LINK_REL = "nofollow noopener noreferrer"

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "a",
        "span",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "del",
        "pre",
        "code",
        "blockquote",
        "ul",
        "ol",
        "li",
    }
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start", "reversed"}, "li": {"value"}}
ALLOWED_CLASSES: dict[str, set[str]] = {
    "a": {"mention", "hashtag", "u-url", "status-link"},
    "span": {"h-card", "invisible", "ellipsis"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed together with everything inside them (their text is never meant to be read).
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "svg", "math", "iframe", "object", "embed", "noscript", "title", "textarea"}
)

_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise_html(html: str) -> str:
    """Untrusted HTML reduced to the allowlist above (input capped at MAX_HTML_CHARS)."""
    if not html:
        return ""
    return _cleaner.clean(html[:MAX_HTML_CHARS])
