"""Languages: the choice (cookie, account, Accept-Language, default), and catalogues that
compile and translate every message the pages and forms use into Dutch."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from server.web.i18n import LOCALE_DIR, choose_language, load_translations, parse_accept_language

REPO = Path(__file__).resolve().parents[3]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "fail": (2,),
    "require": (2,),
    "limit": (3,),
    "render_error": (3,),
}
METHODS = [("server/**.py", "python"), ("server/templates/**.html", "jinja2")]


def test_accept_language_is_ranked_by_quality() -> None:
    assert parse_accept_language("en;q=0.5, nl-NL, de;q=0") == ["nl", "en"]
    assert "nl" not in parse_accept_language("x" * 5000 + ",nl")  # read up to 512 characters only
    assert parse_accept_language("nl;q=abc, en") == ["en"]


def test_cookie_beats_account_beats_accept_language_beats_dutch() -> None:
    assert choose_language("en", "nl", "nl") == "en"
    assert choose_language(None, "en", "nl") == "en"
    assert choose_language("klingon", "", "fr, en;q=0.3") == "en"
    assert choose_language(None, None, "") == "nl"


def test_every_message_has_a_dutch_translation() -> None:
    dutch = load_translations(LOCALE_DIR)["nl"]
    missing = []
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO),
        METHODS,
        keywords=KEYWORDS,
        options_map={"server/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        singular = message[0] if isinstance(message, tuple) else message
        if singular and dutch.gettext(singular) == singular:
            missing.append(singular)
    assert missing == []


def test_catalogues_compile_from_po_at_start_up() -> None:
    translations = load_translations(LOCALE_DIR)
    assert translations["nl"].gettext("Log in") == "Inloggen"
    assert translations["nl"].ngettext("%(num)d follower", "%(num)d followers", 2) == "%(num)d volgers"
    assert translations["en"].gettext("Log in") == "Log in"
    assert not list(LOCALE_DIR.rglob("*.mo"))  # nothing binary in the tree
