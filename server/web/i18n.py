"""Languages: gettext catalogues (server/locale/<lang>/LC_MESSAGES/*.po: messages.po plus
one file per feature, merged) compiled with Babel when the app starts (no binary .mo files
in the tree), and the reader's choice:
the language cookie, else the account's setting, else Accept-Language, else Dutch."""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
MAX_ACCEPT_LANGUAGE = 512

Translations = Mapping[str, gettext.NullTranslations]


def compile_catalogue(po_paths: Path | list[Path], language: str) -> gettext.GNUTranslations:
    """One catalogue from one or more .po files (later files add to and override earlier)."""
    paths = [po_paths] if isinstance(po_paths, Path) else po_paths
    catalog = None
    for path in paths:
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        if catalog is None:
            catalog = part
            continue
        for message in part:
            if message.id:
                catalog[message.id] = message
    assert catalog is not None
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_translations(locale_dir: Path = LOCALE_DIR) -> dict[str, gettext.NullTranslations]:
    found: dict[str, gettext.NullTranslations] = {}
    for language in LANGUAGES:
        folder = locale_dir / language / "LC_MESSAGES"
        po_paths = sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))
        found[language] = compile_catalogue(po_paths, language) if po_paths else gettext.NullTranslations()
    return found


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags by preference (q-values honoured, q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, *params = part.strip().split(";")
        q = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            ranked.append((-q, index, tag.strip().lower().split("-")[0]))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(cookie: str | None, account_locale: str | None, accept_language: str) -> str:
    for candidate in (cookie, account_locale):
        if candidate in LANGUAGES:
            return str(candidate)
    for tag in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
