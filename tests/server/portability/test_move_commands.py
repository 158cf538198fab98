"""move-neighbourhood, set-also-known-as, import-follows, import-blocks and import-resident
run as real processes (their own database, "old.example") against a real instance on
127.0.0.2 that plays the other server. Refusals are one line on stderr and exit status 1."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher

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
    # a profile URL names the actor its server serves there
    other = await create_local_actor(instance.pool, instance.settings, kind="Person", username="lotte2")
    by_profile = await cli(old_host, "set-also-known-as", "lotte", instance.url("/@lotte2"))
    assert by_profile.returncode == 0, by_profile.stderr
    assert by_profile.stdout.strip() == f"alsoKnownAs: {elsewhere.ap_id}, {other.ap_id}"
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


async def _account(dsn: str, username: str) -> tuple[str, str] | None:
    """(state, password hash) of a resident account in another host's database."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            "SELECT a.state, a.password_hash FROM accounts a JOIN actors x ON x.id = a.actor_id "
            "WHERE x.is_local AND x.username = $1",
            username,
        )
    finally:
        await conn.close()
    return (row["state"], row["password_hash"]) if row else None


async def test_import_resident_as_a_process(instance: Instance, old_host: dict[str, str], tmp_path: Path) -> None:
    """import-resident creates the account when there is none yet: with a one-time reset
    link printed for the operator, or with the password from stdin; in the import's one
    transaction (a refused import leaves no account behind)."""
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna", name="Anna")
    await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob", name="Bob")
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    await instance.pool.execute(
        "INSERT INTO follows (ap_id, follower_id, followed_id, state) VALUES ($1, $2, $3, 'accepted')",
        instance.url("/follows/1"),
        anna.id,
        buurt.id,
    )
    archive = tmp_path / "anna.tar.gz"
    archive.write_bytes(await export_resident(instance.pool, instance.settings, "anna"))
    bob_archive = tmp_path / "bob.tar.gz"
    bob_archive.write_bytes(await export_resident(instance.pool, instance.settings, "bob"))
    dsn = old_host["DATABASE_URL"]

    assert refused(await cli(old_host, "import-resident", str(archive), "Niet Goed!"), "not a valid name")
    imported = await cli(old_host, "import-resident", str(archive), "anna")
    assert imported.returncode == 0, imported.stderr
    assert "created resident http://old.example/actors/anna" in imported.stdout
    assert "one-time link (valid 24 hours): http://old.example/password-reset?token=" in imported.stdout
    assert f"imported {anna.ap_id} into http://old.example/actors/anna" in imported.stdout
    assert "followed 1, blocked 0, failed 0" in imported.stdout
    created = await _account(dsn, "anna")
    assert created is not None and created[0] == "active"
    assert refused(await cli(old_host, "import-resident", str(archive), "anna"), "imported here before")
    again = await cli(old_host, "import-resident", str(archive), "anna2", "--password-stdin", stdin="lang-genoeg-1\n")
    assert refused(again, "imported here before")
    assert await _account(dsn, "anna2") is None  # the refused import made no account

    short = await cli(old_host, "import-resident", str(bob_archive), "bob", "--password-stdin", stdin="kort\n")
    assert refused(short, "at least 10 characters")
    with_password = await cli(
        old_host, "import-resident", str(bob_archive), "bob", "--password-stdin", stdin="lang-genoeg-1\n"
    )
    assert with_password.returncode == 0, with_password.stderr
    assert "created resident http://old.example/actors/bob" in with_password.stdout
    assert "password-reset" not in with_password.stdout
    bob_account = await _account(dsn, "bob")
    assert bob_account is not None and PasswordHasher().verify(bob_account[1], "lang-genoeg-1")

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[:100])
    assert refused(await cli(old_host, "import-resident", str(truncated), "anna"), "truncated")
