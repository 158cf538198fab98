"""Shared helpers of bench_inbox.py and bench_fanout.py: scratch databases, child
processes (started and stopped by pid, each wait bounded), CPU accounting, percentiles."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.runtime import migrate  # noqa: E402
from tests.harness import create_database, drop_database, with_database  # noqa: E402

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")


def server_dsn() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DSN)


async def fresh_database(name: str) -> str:
    """CREATE DATABASE `name` (dropping a leftover of the same name) and migrate it."""
    base = server_dsn()
    await drop_database(base, name)
    dsn = await create_database(base, name)
    await migrate(dsn)
    return dsn


async def remove_database(name: str) -> None:
    await drop_database(server_dsn(), name)


def process_cpu(pid: int) -> float:
    """utime + stime of one process in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def postgres_cpu() -> float:
    """CPU seconds of every `postgres` process on the machine (backends come and go, so
    this is approximate; other users of the same server add noise)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm", encoding="ascii") as handle:
                if handle.read().strip() != "postgres":
                    continue
        except OSError:
            continue
        total += process_cpu(int(entry))
    return total


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class Child:
    """A child process started here and stopped here (SIGTERM, then SIGKILL after a bound)."""

    def __init__(self, args: Sequence[str], *, env: dict[str, str] | None = None, stdout: int | None = None) -> None:
        self.args = list(args)
        self.proc = subprocess.Popen(
            self.args,
            env=env,
            cwd=REPO,
            stdout=stdout,
            stderr=None,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return process_cpu(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


async def wait_http(url: str, *, timeout: float = 30.0, child: Child | None = None) -> None:  # noqa: ASYNC109
    """Poll `url` until it answers (any status), at most `timeout` seconds."""
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        for _ in range(int(timeout / 0.1) + 1):
            if child is not None and not child.alive():
                raise RuntimeError(f"{child.args[:3]} exited with {child.proc.returncode}")
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    await resp.read()
                    return
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


__all__ = [
    "CLK_TCK",
    "PYTHON",
    "REPO",
    "Child",
    "fresh_database",
    "percentile",
    "postgres_cpu",
    "process_cpu",
    "remove_database",
    "server_dsn",
    "wait_http",
    "with_database",
]
