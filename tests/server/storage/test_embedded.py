"""The embedded PostgreSQL refuses locations that would expose a private home directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.storage import embedded


def test_data_directory_under_root_is_refused() -> None:
    with pytest.raises(embedded.EmbeddedDatabaseRefused, match="private home directory /root"):
        embedded.check_location(Path("/root/buurtplein-data"))


def test_private_home_is_detected(tmp_path: Path) -> None:
    home = tmp_path / "home" / "anna"
    home.mkdir(parents=True)
    home.chmod(0o700)
    assert embedded.private_home_containing(home / "buurt" / "data", {home}) == home
    home.chmod(0o755)
    assert embedded.private_home_containing(home / "buurt" / "data", {home}) is None


def test_project_directory_is_accepted(tmp_path: Path) -> None:
    embedded.check_location(tmp_path / "buurtplein-data")
