"""The embedded PostgreSQL also works for an ordinary (non-root) user: `buurtplein serve`
with no DATABASE_URL becomes ready, and stops its database on SIGTERM.

Runs only where the test runs as root (to create the user) and the system Python has the
same version as ours (to reuse the installed packages)."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.harness import REPO, free_port

USER = "buurtplein-test"
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
SITE_PACKAGES = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def readable_by_others(path: Path) -> bool:
    """Every directory from / down to `path` can be entered by any user."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


pytestmark = pytest.mark.skipif(
    os.geteuid() != 0
    or not SYSTEM_PYTHON.exists()
    or shutil.which("useradd") is None
    or not (readable_by_others(REPO) and readable_by_others(SITE_PACKAGES)),
    reason="needs root (to create an ordinary user), a system Python of the same version, "
    "and the project readable by other users",
)


@pytest.fixture
def ordinary_user() -> Iterator[pwd.struct_passwd]:
    try:
        entry = pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
        entry = pwd.getpwnam(USER)
    yield entry


async def test_serve_with_embedded_database_as_an_ordinary_user(ordinary_user: pwd.struct_passwd) -> None:
    work = Path(tempfile.mkdtemp(prefix="buurtplein-user-", dir="/tmp"))
    try:
        os.chown(work, ordinary_user.pw_uid, ordinary_user.pw_gid)
        port = free_port("127.0.0.2")
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(work),
            "PYTHONPATH": f"{REPO}:{SITE_PACKAGES}",
            "BUURTPLEIN_DATA_DIR": str(work / "data"),
            "BUURTPLEIN_LISTEN_HOST": "127.0.0.2",
            "BUURTPLEIN_LISTEN_PORT": str(port),
            "BUURTPLEIN_LOG_LEVEL": "warning",
        }
        proc = await asyncio.create_subprocess_exec(
            str(SYSTEM_PYTHON), "-c", "from server.cli import main; main()", "serve",
            env=env, cwd=str(work), user=ordinary_user.pw_uid, group=ordinary_user.pw_gid,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            ready = False
            async with aiohttp.ClientSession() as session:
                for _ in range(120):
                    try:
                        async with session.get(f"http://127.0.0.2:{port}/readyz") as resp:
                            if resp.status == 200:
                                ready = True
                                break
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.25)
            assert ready, "the server did not become ready within 30 s"
            postgres = work / "data" / "postgres"
            assert postgres.stat().st_uid == ordinary_user.pw_uid  # runs as the user, not as a new one
        finally:
            proc.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(proc.wait(), 30)
        assert code == 0
        assert not (work / "data" / "postgres" / "postmaster.pid").exists()  # the database stopped
    finally:
        shutil.rmtree(work, ignore_errors=True)
