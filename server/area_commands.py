"""The commands that let an organisation follow every public neighbourhood of an area, list
its area follows and end one.

    follow-area NAME [--area-name AREA] [--bbox MIN_LON,MIN_LAT,MAX_LON,MAX_LAT]
                     [--near LAT,LON,METRES]
    area-follows NAME
    unfollow-area NAME ID [--unfollow-neighbourhoods]

NAME is a local organisation account (`create-user --organisation`). The area is kept, so
neighbourhoods that come into it later are followed too (server.domain.area_follows);
ending an area follow stops that, and with --unfollow-neighbourhoods also unfollows the
neighbourhoods it followed. A refusal ends with one line on stderr and exit status 1; the
Follows (and Undos) are queued in the database and the running server's workers deliver them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import click

from server.config import Settings
from server.portability.commands import Refused, _federating, _local, _pool, _run

if TYPE_CHECKING:
    from server.storage.area_follows import AreaFollow, BBox, Near


def describe(area: AreaFollow) -> str:
    """The area in one line: its name, box and point, as given."""
    parts = []
    if area.area_name is not None:
        parts.append(f"area {area.area_name!r}")
    if area.bbox is not None:
        parts.append("box " + ",".join(f"{v:g}" for v in area.bbox))
    if area.near is not None:
        lat, lon, radius = area.near
        parts.append(f"within {radius:g} m of {lat:g},{lon:g}")
    return "; ".join(parts)


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


@click.command("area-follows")
@click.argument("name")
@click.pass_context
def area_follows_command(ctx: click.Context, name: str) -> None:
    """List organisation NAME's area follows: id, area, neighbourhoods followed."""
    from server.domain.area_follows import NotAnOrganisation, area_follows_of

    settings: Settings = ctx.obj

    async def main() -> list[str]:
        async with _pool(settings) as pool:
            organisation = await _local(pool, name)
            try:
                listed = await area_follows_of(pool, organisation)
            except NotAnOrganisation as exc:
                raise Refused(str(exc)) from None
        return [f"{a.area.id}\t{describe(a.area)}\t{a.followed} followed" for a in listed]

    lines = _run(main)
    if not lines:
        click.echo(f"{name} follows no area")
    for line in lines:
        click.echo(line)


@click.command("unfollow-area")
@click.argument("name")
@click.argument("area_follow_id", metavar="ID")
@click.option(
    "--unfollow-neighbourhoods",
    is_flag=True,
    help="Also unfollow the neighbourhoods this area follow followed (not those followed otherwise).",
)
@click.pass_context
def unfollow_area_command(ctx: click.Context, name: str, area_follow_id: str, unfollow_neighbourhoods: bool) -> None:
    """End organisation NAME's area follow ID (see area-follows): the area's new
    neighbourhoods are no longer followed; the ones followed stay followed unless
    --unfollow-neighbourhoods is given."""
    from server.domain.area_follows import NotAnOrganisation, UnknownAreaFollow, end_area_follow

    settings: Settings = ctx.obj
    if not (area_follow_id.isascii() and area_follow_id.isdigit() and 0 < len(area_follow_id) <= 18):
        raise Refused(f"an area follow ID is a number, not {area_follow_id[:40]!r}")
    number = int(area_follow_id)

    async def main() -> int:
        async with _federating(settings) as (fed, _):
            organisation = await _local(fed.pool, name)
            try:
                return await end_area_follow(fed, organisation, number, unfollow_neighbourhoods=unfollow_neighbourhoods)
            except (NotAnOrganisation, UnknownAreaFollow) as exc:
                raise Refused(str(exc)) from None

    unfollowed = _run(main)
    click.echo(f"ended area follow {area_follow_id}; unfollowed {unfollowed} neighbourhood(s)")


AREA_COMMANDS = (follow_area_command, area_follows_command, unfollow_area_command)
