"""The docs stay true: every setting is documented, and docs/architecture.md has one line
for every module (and names no module that does not exist)."""

from __future__ import annotations

import re
from pathlib import Path

from server.config import field_names

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("activitypub", "federation", "server")


def test_every_setting_is_documented() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert sorted(set(field_names()) - documented) == []


def _modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            found.add(path.relative_to(REPO).as_posix())
    return found


def test_architecture_lists_every_module_once() -> None:
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `((?:activitypub|federation|server)/[\w/]+\.py)` \|", text, flags=re.M)
    assert sorted(_modules() - set(listed)) == [], "modules missing from docs/architecture.md"
    assert sorted(set(listed) - _modules()) == [], "docs/architecture.md names modules that do not exist"
    assert len(listed) == len(set(listed)), "a module is listed twice"
