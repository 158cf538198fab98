"""The command that lets an organisation follow every public neighbourhood of an area:

    follow-area NAME [--area-name AREA] [--bbox MIN_LON,MIN_LAT,MAX_LON,MAX_LAT]
                     [--near LAT,LON,METRES]

NAME is a local organisation account (`create-user --organisation`). The area is kept, so
neighbourhoods that come into it later are followed too (server.domain.area_follows). A
refusal ends with one line on stderr and exit status 1; the Follows are queued in the
database and the running server's workers deliver them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import click

from server.config import Settings
from server.portability.commands import Refused, _federating, _local, _run

if TYPE_CHECKING:
    from server.storage.area_follows import BBox, Near


def numbers(text: str | None, count: int, option: str) -> tuple[float, ...] | None:
    """`count` comma-separated finite numbers, or None when the option was not given."""
    if text is None:
        return None
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(value) for value in values):
        raise Refused(f"{option} takes {count} comma-separated numbers")
    return values


@click.command("follow-area")
@click.argument("name")
@click.option("--area-name", default=None, help="The neighbourhoods' area name (case-insensitive).")
@click.option("--bbox", default=None, help="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT: boundaries that meet this box.")
@click.option("--near", default=None, help="LAT,LON,METRES: boundaries within this distance (at most 100 km).")
@click.pass_context
def follow_area_command(
    ctx: click.Context, name: str, area_name: str | None, bbox: str | None, near: str | None
) -> None:
    """Let organisation NAME follow every public neighbourhood of an area, now and later."""
    from server.domain.area_follows import InvalidArea, NotAnOrganisation, follow_area

    settings: Settings = ctx.obj
    box = numbers(bbox, 4, "--bbox")
    point = numbers(near, 3, "--near")

    async def main() -> list[str]:
        async with _federating(settings) as (fed, _):
            organisation = await _local(fed.pool, name)
            try:
                return await follow_area(
                    fed, organisation, area_name, bbox=cast("BBox | None", box), near=cast("Near | None", point)
                )
            except (InvalidArea, NotAnOrganisation) as exc:
                raise Refused(str(exc)) from None

    started = _run(main)
    click.echo(f"following the area; {len(started)} new Follow(s)")
    for follow_id in started:
        click.echo(follow_id)


AREA_COMMANDS = (follow_area_command,)
