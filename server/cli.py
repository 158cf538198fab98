"""The `buurtplein` command: serve | worker | migrate | create-neighbourhood | create-user | check |
clean-media | prune-queues.

A user's mistake (bad setting, unreachable database, occupied port) ends with one clear
line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from server.area_commands import AREA_COMMANDS
from server.config import ConfigError, Settings, ensure_secret_key, load_settings
from server.logs import configure_logging
from server.media_housekeeping import clean_media_command
from server.portability.commands import PORTABILITY_COMMANDS
from server.portability.resident_commands import RESIDENT_COMMANDS
from server.queue_housekeeping import prune_queues_command
from server.runtime import StartupError
from server.storage.embedded import EmbeddedDatabaseRefused
from server.storage.migrations import MigrationError
from server.storage.pool import DatabaseUnavailable

T = TypeVar("T")
USER_ERRORS = (
    ConfigError,
    DatabaseUnavailable,
    EmbeddedDatabaseRefused,
    MigrationError,
    StartupError,
)


class Failure(click.ClickException):
    """A one-line error message and exit status 1."""

    def show(self, file: Any = None) -> None:
        click.echo(f"buurtplein: {self.message}", err=True)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except USER_ERRORS as exc:
        raise Failure(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML settings file (default: $BUURTPLEIN_CONFIG, if set).",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Buurtplein: a federated neighbourhood platform."""
    try:
        settings = load_settings(config_file=config_file)
    except ConfigError as exc:
        raise Failure(str(exc)) from None
    configure_logging(settings.log_level, settings.log_format)
    ctx.obj = settings


@cli.command()
@click.option("--host", default=None, help="Listen address (default: listen_host).")
@click.option("--port", type=int, default=None, help="Listen port (default: listen_port).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the web server (and, by default, the background workers)."""
    from server.serve import serve_forever

    settings = _settings(ctx).with_overrides(
        **({"listen_host": host} if host else {}), **({"listen_port": port} if port else {})
    )
    try:
        settings = ensure_secret_key(settings)
    except OSError as exc:
        raise Failure(f"cannot write the secret key into {settings.data_dir}: {exc.strerror}") from None
    _run(lambda: serve_forever(settings))


@cli.command()
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run background workers only (more of them, on this or another machine)."""
    from server.serve import work_forever

    _run(lambda: work_forever(_settings(ctx)))


@cli.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Apply pending database migrations."""
    from server.runtime import migrate as run_migrations
    from server.runtime import resolve_dsn

    async def main() -> list[str]:
        return await run_migrations(await resolve_dsn(_settings(ctx)))

    applied = _run(main)
    click.echo(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


@cli.command("create-neighbourhood")
@click.argument("name")
@click.option("--display-name", default="", help="The name shown on pages.")
@click.option("--summary", default="", help="A short description.")
@click.option("--approval", is_flag=True, help="Followers need approval.")
@click.pass_context
def create_neighbourhood(ctx: click.Context, name: str, display_name: str, summary: str, approval: bool) -> None:
    """Create a neighbourhood (a Group actor) called NAME."""
    from server.domain.actors import InvalidName, NameTaken, create_local_actor

    async def main() -> str:
        async with _pool(_settings(ctx)) as pool:
            try:
                actor = await create_local_actor(
                    pool,
                    _settings(ctx),
                    kind="Group",
                    username=name,
                    name=display_name,
                    summary=summary,
                    manually_approves=approval,
                )
            except (InvalidName, NameTaken) as exc:
                raise Failure(str(exc)) from None
            return actor.ap_id

    click.echo(f"created neighbourhood {_run(main)}")


@cli.command("create-user")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Make this resident an administrator.")
@click.option("--email", default="", help="E-mail address (optional).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--organisation", is_flag=True, help="An organisation's account (Organization): it may follow whole areas."
)
@click.pass_context
def create_user(
    ctx: click.Context, name: str, admin: bool, email: str, password_stdin: bool, organisation: bool
) -> None:
    """Create a resident account (or, with --organisation, an organisation's) called NAME."""
    from server.domain.actors import InvalidName, NameTaken, create_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")

    async def main() -> str:
        async with _pool(_settings(ctx)) as pool:
            try:
                actor = await create_account(
                    pool,
                    _settings(ctx),
                    username=name,
                    password=password,
                    email=email,
                    is_admin=admin,
                    kind="Organization" if organisation else "Person",
                )
            except (InvalidName, NameTaken) as exc:
                raise Failure(str(exc)) from None
            return actor.ap_id

    role = "administrator" if admin else "organisation" if organisation else "resident"
    click.echo(f"created {role} {_run(main)}")


@cli.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Diagnose configuration, database connectivity and migrations."""
    from server.checks import run_checks

    results = _run(lambda: run_checks(_settings(ctx)))
    failed = False
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"[{mark}] {result.name}: {result.detail}")
        failed = failed or not result.ok
    if failed:
        sys.exit(1)


@cli.command("sync-calendars")
@click.pass_context
def sync_calendars(ctx: click.Context) -> None:
    """Import the external calendars that are due (the iCal bridge; run from cron)."""
    from server.calendar_sync import sync_calendars_once

    results = _run(lambda: sync_calendars_once(_settings(ctx)))
    failed = [r for r in results if r.status != "ok"]
    click.echo(f"synced {len(results)} calendar(s), {len(failed)} stopped")


def _pool(settings: Settings) -> Any:
    from server.serve import migrated_pool

    return migrated_pool(settings)


for _command in (
    *PORTABILITY_COMMANDS,
    *RESIDENT_COMMANDS,
    *AREA_COMMANDS,
    clean_media_command,
    prune_queues_command,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="buurtplein")
