"""CLI commands for residents moving in (added to `buurtplein` with the other moving
commands, server/portability/commands.py):

    import-resident FILE NEWNAME [--password-stdin] [--email ADDRESS]
    import-blocks NAME CSV

import-resident creates the resident account NEWNAME when there is none yet: with the
password read from standard input, or else with a one-time password-reset link printed
for the operator to hand to the resident.

A refusal ends with one line on stderr and exit status 1; accounts that could not be
followed or blocked are listed on stderr and do not stop the rest.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from server.config import Settings
from server.portability.commands import _federating, _read, _run, run_csv_import


@click.command("import-resident")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("new_name", metavar="NEWNAME")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="When NEWNAME must be created: read its password from standard input (else a reset link is printed).",
)
@click.option("--email", default="", help="When NEWNAME must be created: its e-mail address (optional).")
@click.pass_context
def import_resident(ctx: click.Context, file: Path, new_name: str, password_stdin: bool, email: str) -> None:
    """Fill resident account NEWNAME from the resident archive FILE (creating the account when
    there is none yet); follow and block again."""
    from server.domain.accounts import create_password_reset
    from server.portability.archive import read_archive
    from server.portability.resident_import import import_resident as run_import
    from server.portability.resident_import import prepare_account
    from server.storage import account_admin
    from server.storage import actors as actor_store

    settings: Settings = ctx.obj
    data = _read(file, settings.archive_max_bytes)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None

    async def main() -> tuple[Any, str]:
        archive = await asyncio.to_thread(read_archive, data, max_bytes=settings.archive_max_bytes)
        async with _federating(settings) as (fed, _):
            exists = await actor_store.local_actor(fed.pool, new_name) is not None
            new_account = None if exists else await prepare_account(password, email)
            result = await run_import(fed, archive, new_name, new_account)
            link = ""
            if result.account_created and password is None:
                account = await account_admin.account_by_username(fed.pool, result.imported.actor.username)
                assert account is not None
                token = await create_password_reset(fed.pool, account.id)
                link = f"{settings.base_url}/password-reset?token={token}"
            return result, link

    result, link = _run(main)
    imported = result.imported
    for ap_id, reason in result.failed:
        click.echo(f"not done: {ap_id}: {reason}", err=True)
    if result.account_created:
        click.echo(f"created resident {imported.actor.ap_id}")
    if link:
        click.echo(f"the resident sets a password with this one-time link (valid 24 hours): {link}")
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
