"""The `buurtplein` command, run as a real process against a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.harness import free_port

BIN = Path(sys.executable).parent / "buurtplein"


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = run_cli("--help", env={})
    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "create-neighbourhood", "create-user", "check"):
        assert command in result.stdout


def test_bad_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("check", env={"BUURTPLEIN_LISTEN_PORT": "eighty", "BUURTPLEIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "listen_port" in result.stderr


def test_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    env = {
        "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/x",
        "BUURTPLEIN_DATA_DIR": str(tmp_path),
    }
    result = run_cli("migrate", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot reach PostgreSQL" in result.stderr
    check = run_cli("check", env=env)
    assert check.returncode == 1
    assert "[FAIL] database" in check.stdout


def test_migrate_create_and_check(fresh_database: str, tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": fresh_database,
        "BUURTPLEIN_DATA_DIR": str(tmp_path),
        "BUURTPLEIN_DOMAIN": "buurt.example",
    }
    before = run_cli("check", env=env)
    assert before.returncode == 1 and "pending" in before.stdout
    assert run_cli("migrate", env=env).returncode == 0
    made = run_cli("create-neighbourhood", "oosterpark", "--display-name", "Oosterpark", env=env)
    assert made.returncode == 0, made.stderr
    assert "http://buurt.example/actors/oosterpark" in made.stdout
    again = run_cli("create-neighbourhood", "oosterpark", env=env)
    assert again.returncode == 1 and "taken" in again.stderr
    user = run_cli(
        "create-user",
        "anna",
        "--admin",
        "--password-stdin",
        env=env,
        stdin="correct horse battery\n",
    )
    assert user.returncode == 0, user.stderr
    assert "administrator" in user.stdout
    bad = run_cli("create-user", "Not Valid!", "--password-stdin", env=env, stdin="correct horse battery\n")
    assert bad.returncode == 1 and "not a valid name" in bad.stderr
    after = run_cli("check", env=env)
    assert after.returncode == 0, after.stdout
    assert "[FAIL]" not in after.stdout
    assert "autovacuum" in after.stdout


def test_serve_refuses_an_occupied_port(fresh_database: str, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.2", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(
            "serve",
            "--host",
            "127.0.0.2",
            "--port",
            str(port),
            env={"DATABASE_URL": fresh_database, "BUURTPLEIN_DATA_DIR": str(tmp_path)},
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


async def test_serve_becomes_ready_and_stops_on_sigterm(fresh_database: str, tmp_path: Path) -> None:
    port = free_port("127.0.0.2")
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "BUURTPLEIN_DATA_DIR": str(tmp_path),
        "BUURTPLEIN_DOMAIN": f"127.0.0.2:{port}",
    }
    proc = await asyncio.create_subprocess_exec(
        str(BIN),
        "serve",
        "--host",
        "127.0.0.2",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        status = 0
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                try:
                    async with session.get(f"http://127.0.0.2:{port}/readyz") as resp:
                        status = resp.status
                        if status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)
        assert status == 200
        assert (tmp_path / "secret_key").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 20)
    assert code == 0


def test_unwritable_data_directory_is_one_clear_line(fresh_database: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {"DATABASE_URL": fresh_database, "BUURTPLEIN_DATA_DIR": str(blocker / "data")}
    result = run_cli("serve", "--host", "127.0.0.2", "--port", str(free_port("127.0.0.2")), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot write the secret key" in result.stderr
    check = run_cli("check", env=env)
    assert check.returncode == 1 and "[FAIL] data directory" in check.stdout
