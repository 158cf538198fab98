"""CLI commands for residents moving in (added to `buurtplein` with the other moving
commands, server/portability/commands.py):

    import-resident FILE NEWNAME    import-blocks NAME CSV

A refusal ends with one line on stderr and exit status 1; accounts that could not be
followed or blocked are listed on stderr and do not stop the rest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click

from server.config import Settings
from server.portability.commands import _federating, _read, _run, run_csv_import


@click.command("import-resident")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("new_name", metavar="NEWNAME")
@click.pass_context
def import_resident(ctx: click.Context, file: Path, new_name: str) -> None:
    """Fill resident account NEWNAME from the resident archive FILE; follow and block again."""
    from server.portability.archive import read_archive
    from server.portability.resident_import import import_resident as run_import

    settings: Settings = ctx.obj
    data = _read(file, settings.archive_max_bytes)

    async def main() -> Any:
        archive = await asyncio.to_thread(read_archive, data, max_bytes=settings.archive_max_bytes)
        async with _federating(settings) as (fed, _):
            return await run_import(fed, archive, new_name)

    result = _run(main)
    imported = result.imported
    for ap_id, reason in result.failed:
        click.echo(f"not done: {ap_id}: {reason}", err=True)
    click.echo(
        f"imported {imported.original_ap_id} into {imported.actor.ap_id}: {imported.objects} post(s), "
        f"{imported.media_files} media file(s), rows {imported.rows or 'none'}, "
        f"left behind {imported.rows_left_behind or 'none'}; followed {len(result.followed)}, "
        f"blocked {len(result.blocked)}, failed {len(result.failed)}"
    )


@click.command("import-blocks")
@click.argument("name")
@click.argument("csv_file", metavar="CSV", type=click.Path(path_type=Path))
@click.pass_context
def import_blocks(ctx: click.Context, name: str, csv_file: Path) -> None:
    """Block every account in a Mastodon block export (CSV) as resident NAME."""
    from server.portability.block_import import import_blocks as run_import

    result = run_csv_import(ctx, name, csv_file, run_import)
    for address, reason in result.failed:
        click.echo(f"not blocked: {address}: {reason}", err=True)
    click.echo(f"blocked {len(result.blocked)}, already blocked {len(result.already)}, failed {len(result.failed)}")


RESIDENT_COMMANDS = (import_resident, import_blocks)
