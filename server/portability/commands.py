"""CLI commands for moving (added to `buurtplein` in server/cli.py):

    export-neighbourhood NAME FILE    import-neighbourhood FILE [--as NAME]
    move-neighbourhood NAME NEW_ACTOR_URL
    export-resident NAME FILE         import-follows NAME CSV
    set-also-known-as NAME URL

A refusal ends with one line on stderr and exit status 1. Activities are queued in the
database; the running server's workers deliver them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from server.config import Settings

T = TypeVar("T")


class Refused(click.ClickException):
    def show(self, file: Any = None) -> None:
        click.echo(f"buurtplein: {self.message}", err=True)


def _run(make: Callable[[], Awaitable[T]]) -> T:
    from server.cli import USER_ERRORS
    from server.portability.archive import ArchiveRefused
    from server.portability.export import NothingToExport
    from server.portability.import_ import ImportRefused
    from server.portability.mastodon_csv import CsvRefused
    from server.portability.move import MoveRefused

    refusals = (*USER_ERRORS, ArchiveRefused, ImportRefused, MoveRefused, NothingToExport, CsvRefused)
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except refusals as exc:
        raise Refused(str(exc)) from None


@asynccontextmanager
async def _pool(settings: Settings) -> AsyncIterator[Any]:
    from server.serve import migrated_pool

    async with migrated_pool(settings) as pool:
        yield pool


@asynccontextmanager
async def _federating(settings: Settings) -> AsyncIterator[tuple[Any, Any]]:
    from server.domain.federation_context import Federating
    from server.services import open_services

    async with _pool(settings) as pool, open_services(settings, pool) as services:
        yield Federating(pool, settings, services.keyring, services.remote), services.http


async def _local(pool: Any, name: str) -> Any:
    from server.storage import actors as actor_store

    actor = await actor_store.local_actor(pool, name)
    if actor is None:
        raise Refused(f"there is no local actor called {name!r}")
    return actor


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise Refused(f"cannot write {path}: {exc.strerror}") from None


def _read(path: Path, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise Refused(f"{path} is too large: {size} bytes, the limit is {limit} (archive_max_bytes)")
        return path.read_bytes()
    except OSError as exc:
        raise Refused(f"cannot read {path}: {exc.strerror}") from None


def _export(settings: Settings, name: str, file: Path, kind: str) -> None:
    from server.portability import export

    async def main() -> bytes:
        async with _pool(settings) as pool:
            return await export.export_actor(pool, settings, name, kind)

    data = _run(main)
    _write(file, data)
    click.echo(f"wrote {file} ({len(data)} bytes)")


@click.command("export-neighbourhood")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def export_neighbourhood(ctx: click.Context, name: str, file: Path) -> None:
    """Write neighbourhood NAME into the archive FILE (a tar.gz)."""
    _export(ctx.obj, name, file, "Group")


@click.command("export-resident")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def export_resident(ctx: click.Context, name: str, file: Path) -> None:
    """Write resident NAME's posts, follows, RSVPs and media into the archive FILE."""
    _export(ctx.obj, name, file, "Person")


@click.command("import-neighbourhood")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--as", "new_name", default=None, help="Import under another name.")
@click.pass_context
def import_neighbourhood(ctx: click.Context, file: Path, new_name: str | None) -> None:
    """Recreate the neighbourhood in archive FILE on this host (all or nothing)."""
    from server.portability.archive import read_archive
    from server.portability.import_ import import_neighbourhood as run_import

    settings: Settings = ctx.obj
    data = _read(file, settings.archive_max_bytes)

    async def main() -> Any:
        archive = await asyncio.to_thread(read_archive, data, max_bytes=settings.archive_max_bytes)
        async with _pool(settings) as pool:
            return await run_import(pool, settings, archive, username=new_name)

    result = _run(main)
    click.echo(
        f"imported {result.actor.ap_id} (alsoKnownAs {result.original_ap_id}): {result.objects} post(s), "
        f"{result.media_files} media file(s), rows {result.rows or 'none'}, "
        f"left behind {result.rows_left_behind or 'none'}; {result.followers_in_archive} follower(s) "
        "will follow when the old host sends the Move (move-neighbourhood there)"
    )


@click.command("move-neighbourhood")
@click.argument("name")
@click.argument("new_actor_url")
@click.pass_context
def move_neighbourhood(ctx: click.Context, name: str, new_actor_url: str) -> None:
    """Move neighbourhood NAME to NEW_ACTOR_URL (which must list it in alsoKnownAs)."""
    from server.portability.move import move_actor

    settings: Settings = ctx.obj

    async def main() -> Any:
        async with _federating(settings) as (fed, _):
            return await move_actor(fed, await _local(fed.pool, name), new_actor_url)

    result = _run(main)
    click.echo(
        f"moved to {result.target}: Move queued for {result.remote_follower_inboxes} inbox(es), "
        f"{result.local_follows_moved} local follow(s) moved, {result.invited} member(s) invited, "
        f"notice {result.notice_id}"
    )


def run_csv_import(ctx: click.Context, name: str, csv_file: Path, importer: Callable[..., Awaitable[Any]]) -> Any:
    """Read a Mastodon CSV export (size-capped) and run `importer(fed, http, resident, text)`."""
    from server.portability.mastodon_csv import MAX_BYTES

    settings: Settings = ctx.obj
    text = _read(csv_file, MAX_BYTES).decode("utf-8", errors="replace")

    async def main() -> Any:
        async with _federating(settings) as (fed, http):
            return await importer(fed, http, await _local(fed.pool, name), text)

    return _run(main)


@click.command("import-follows")
@click.argument("name")
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path))
@click.pass_context
def import_follows(ctx: click.Context, name: str, csv_file: Path) -> None:
    """Follow every account in a Mastodon follow export (CSV) as resident NAME."""
    from server.portability.follow_import import import_follows as run_import

    result = run_csv_import(ctx, name, csv_file, run_import)
    for address, reason in result.failed:
        click.echo(f"not followed: {address}: {reason}", err=True)
    click.echo(f"followed {len(result.followed)}, already following {len(result.already)}, failed {len(result.failed)}")


@click.command("set-also-known-as")
@click.argument("name")
@click.argument("url")
@click.pass_context
def set_also_known_as(ctx: click.Context, name: str, url: str) -> None:
    """List URL (your old account elsewhere) in NAME's alsoKnownAs, so its Move is accepted."""
    from server.portability.move import add_also_known_as

    settings: Settings = ctx.obj

    async def main() -> tuple[str, ...]:
        async with _federating(settings) as (fed, _):
            return await add_also_known_as(fed, await _local(fed.pool, name), url)

    click.echo("alsoKnownAs: " + ", ".join(_run(main)))


PORTABILITY_COMMANDS = (
    export_neighbourhood,
    import_neighbourhood,
    move_neighbourhood,
    export_resident,
    import_follows,
    set_also_known_as,
)
