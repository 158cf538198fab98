"""move-neighbourhood, set-also-known-as, import-follows, import-blocks and import-resident
run as real processes (their own database, "old.example") against a real instance on
127.0.0.2 that plays the other server. Refusals are one line on stderr and exit status 1."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from server.domain.actors import create_local_actor
from server.portability.export import export_resident
from server.storage import portability as portability_store
from tests.harness import Instance
from tests.server.test_cli import run_cli


@pytest.fixture
def old_host(fresh_database: str, tmp_path: Path) -> dict[str, str]:
    """The environment of the other host's commands (no server of its own runs)."""
    return {
        "DATABASE_URL": fresh_database,
        "BUURTPLEIN_DATA_DIR": str(tmp_path / "old"),
        "BUURTPLEIN_DOMAIN": "old.example",
        "BUURTPLEIN_SCHEME": "http",
        "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31",
        "BUURTPLEIN_LOG_LEVEL": "error",
    }


async def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `buurtplein ARGS` without blocking the loop the instance answers on."""
    return await asyncio.to_thread(run_cli, *args, env=env, stdin=stdin)


def refused(result: subprocess.CompletedProcess[str], words: str) -> bool:
    line = result.stderr.strip()
    return result.returncode == 1 and words in line and "\n" not in line and "Traceback" not in line


async def test_move_neighbourhood_as_a_process(instance: Instance, old_host: dict[str, str]) -> None:
    assert (await cli(old_host, "create-neighbourhood", "oosterpark")).returncode == 0
    new = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    stranger = await create_local_actor(instance.pool, instance.settings, kind="Group", username="vreemd")
    await portability_store.set_also_known_as(instance.pool, new.id, ["http://old.example/actors/oosterpark"])

    no_alias = await cli(old_host, "move-neighbourhood", "oosterpark", stranger.ap_id)
    assert refused(no_alias, "does not list http://old.example/actors/oosterpark in alsoKnownAs")
    assert refused(await cli(old_host, "move-neighbourhood", "nergens", new.ap_id), "no local actor called 'nergens'")

    moved = await cli(old_host, "move-neighbourhood", "oosterpark", new.ap_id)
    assert moved.returncode == 0, moved.stderr
    assert f"moved to {new.ap_id}" in moved.stdout and "notice http://old.example/objects/" in moved.stdout
    again = await cli(old_host, "move-neighbourhood", "oosterpark", new.ap_id)
    assert refused(again, "has moved already")


async def test_set_also_known_as_as_a_process(instance: Instance, old_host: dict[str, str]) -> None:
    assert (await cli(old_host, "create-user", "lotte", "--password-stdin", stdin="lang-genoeg-1\n")).returncode == 0
    elsewhere = await create_local_actor(instance.pool, instance.settings, kind="Person", username="lotte")
    result = await cli(old_host, "set-also-known-as", "lotte", elsewhere.ap_id)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"alsoKnownAs: {elsewhere.ap_id}"
    gone = await cli(old_host, "set-also-known-as", "lotte", instance.url("/actors/niemand"))
    assert refused(gone, "could not be fetched")
    assert refused(await cli(old_host, "set-also-known-as", "lotte", "ftp://x"), "http(s) URL")


async def test_import_follows_and_blocks_as_processes(
    instance: Instance, old_host: dict[str, str], tmp_path: Path
) -> None:
    assert (await cli(old_host, "create-user", "lotte", "--password-stdin", stdin="lang-genoeg-1\n")).returncode == 0
    await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    await create_local_actor(instance.pool, instance.settings, kind="Person", username="spam")
    domain = instance.settings.domain
    follows_csv = tmp_path / "following_accounts.csv"
    follows_csv.write_text(
        "Account address,Show boosts,Notify on new posts,Languages\n"
        f"oosterpark@{domain},true,false,\nniemand@{domain},true,false,\n"
    )
    followed = await cli(old_host, "import-follows", "lotte", str(follows_csv))
    assert followed.returncode == 0, followed.stderr
    assert "followed 1, already following 0, failed 1" in followed.stdout
    assert f"not followed: niemand@{domain}: no such account" in followed.stderr

    blocks_csv = tmp_path / "blocked_accounts.csv"
    blocks_csv.write_text(f"spam@{domain}\nniet goed\n")
    blocked = await cli(old_host, "import-blocks", "lotte", str(blocks_csv))
    assert blocked.returncode == 0, blocked.stderr
    assert "blocked 1, already blocked 0, failed 1" in blocked.stdout
    assert "not an account address" in blocked.stderr
    assert refused(await cli(old_host, "import-blocks", "niemand", str(blocks_csv)), "no local actor called 'niemand'")
    assert refused(await cli(old_host, "import-blocks", "lotte", str(tmp_path / "missing.csv")), "cannot read")


async def test_import_resident_as_a_process(instance: Instance, old_host: dict[str, str], tmp_path: Path) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna", name="Anna")
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    await instance.pool.execute(
        "INSERT INTO follows (ap_id, follower_id, followed_id, state) VALUES ($1, $2, $3, 'accepted')",
        instance.url("/follows/1"),
        anna.id,
        buurt.id,
    )
    archive = tmp_path / "anna.tar.gz"
    archive.write_bytes(await export_resident(instance.pool, instance.settings, "anna"))

    missing = await cli(old_host, "import-resident", str(archive), "anna")
    assert refused(missing, "no resident called 'anna' here: create the account first")
    assert (await cli(old_host, "create-user", "anna", "--password-stdin", stdin="lang-genoeg-1\n")).returncode == 0
    imported = await cli(old_host, "import-resident", str(archive), "anna")
    assert imported.returncode == 0, imported.stderr
    assert f"imported {anna.ap_id} into http://old.example/actors/anna" in imported.stdout
    assert "followed 1, blocked 0, failed 0" in imported.stdout
    assert refused(await cli(old_host, "import-resident", str(archive), "anna"), "imported here before")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:100])
    assert refused(await cli(old_host, "import-resident", str(truncated), "anna"), "truncated")
