"""Dependencies point one way: server → federation → activitypub, and activitypub does no I/O.

Every module is parsed (not imported) and each import is checked, so a violation fails here
even in a module no other test loads.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("activitypub", "federation", "server")
# What each package may import from the project.
ALLOWED = {
    "activitypub": {"activitypub"},
    "federation": {"activitypub", "federation"},
    "server": {"activitypub", "federation", "server"},
}
# The pure protocol core does no I/O and knows no web framework or database.
FORBIDDEN_IN_PURE = {
    "asyncio",
    "aiohttp",
    "asyncpg",
    "socket",
    "http.client",
    "urllib.request",
    "requests",
    "subprocess",
    "ssl",
    "selectors",
}
# Only the storage layer talks to PostgreSQL.
ASYNCPG_ALLOWED = "server/storage/"


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def imported_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def violations(path: Path, names: list[str]) -> list[str]:
    relative = path.relative_to(REPO).as_posix()
    package = relative.split("/", 1)[0]
    found = []
    for name in names:
        top = name.split(".", 1)[0]
        if top in PACKAGES and top not in ALLOWED[package]:
            found.append(f"{relative} imports {name} against the direction server → federation → activitypub")
        if package == "activitypub" and (name in FORBIDDEN_IN_PURE or top in FORBIDDEN_IN_PURE):
            found.append(f"{relative} imports {name}, but activitypub/ must stay free of I/O")
        if top == "asyncpg" and not relative.startswith(ASYNCPG_ALLOWED):
            found.append(f"{relative} imports asyncpg outside server/storage/")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_module_imports_follow_the_layering(path: Path) -> None:
    assert violations(path, imported_names(path)) == []


def test_the_check_catches_a_reversed_import(tmp_path: Path) -> None:
    bad = REPO / "activitypub" / "_probe.py"
    assert violations(bad, ["server.app"])
    assert violations(bad, ["aiohttp.web"])
    assert violations(REPO / "federation" / "_probe.py", ["server.storage.pool"])
    assert violations(REPO / "server" / "routes" / "_probe.py", ["asyncpg"])
    assert not violations(REPO / "server" / "_probe.py", ["federation.http", "activitypub.keys"])
