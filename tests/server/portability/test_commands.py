"""The moving commands, run as real processes against real databases: export on one host,
import on another; refusals are one clear line and exit status 1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import create_database, drop_database, unique_name
from tests.server.test_cli import run_cli


@pytest.fixture
async def second_database(database_server: str) -> AsyncIterator[str]:
    name = unique_name("bp_empty")
    dsn = await create_database(database_server, name)
    yield dsn
    await drop_database(database_server, name)


def test_export_then_import_on_another_host(fresh_database: str, second_database: str, tmp_path: Path) -> None:
    old = {
        "DATABASE_URL": fresh_database,
        "BUURTPLEIN_DATA_DIR": str(tmp_path / "old"),
        "BUURTPLEIN_DOMAIN": "old.example",
    }
    new = {
        "DATABASE_URL": second_database,
        "BUURTPLEIN_DATA_DIR": str(tmp_path / "new"),
        "BUURTPLEIN_DOMAIN": "new.example",
    }
    assert run_cli("create-neighbourhood", "oosterpark", env=old).returncode == 0
    archive = tmp_path / "oosterpark.tar.gz"
    exported = run_cli("export-neighbourhood", "oosterpark", str(archive), env=old)
    assert exported.returncode == 0, exported.stderr

    imported = run_cli("import-neighbourhood", str(archive), env=new)
    assert imported.returncode == 0, imported.stderr
    assert "http://new.example/actors/oosterpark" in imported.stdout
    assert "alsoKnownAs http://old.example/actors/oosterpark" in imported.stdout

    again = run_cli("import-neighbourhood", str(archive), "--as", "oost2", env=new)
    assert again.returncode == 1 and "imported here before" in again.stderr

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:200])
    broken = run_cli("import-neighbourhood", str(truncated), env=new)
    assert broken.returncode == 1 and "truncated" in broken.stderr and "Traceback" not in broken.stderr

    too_large = run_cli("import-neighbourhood", str(archive), env={**new, "BUURTPLEIN_ARCHIVE_MAX_BYTES": "100"})
    assert too_large.returncode == 1 and "too large" in too_large.stderr

    missing = run_cli("export-neighbourhood", "nergens", str(tmp_path / "x.tar.gz"), env=old)
    assert missing.returncode == 1 and "no neighbourhood called 'nergens'" in missing.stderr
