"""The external calendars of a neighbourhood (the iCal bridge) on the web, for its
organisers: add an `.ics` address, see each source's sync status in words (last attempt,
last success, why the last sync stopped, how many events it holds), ask for a sync soon,
and remove a source. Linked from the neighbourhood's manage page; every handler checks
that the reader moderates the neighbourhood, or is an instance administrator (who may do
this for every neighbourhood, like their other powers), before it reads anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from server.appkeys import POOL
from server.domain import ical_bridge
from server.domain.ical_bridge import InvalidCalendarUrl
from server.routes.pages_organiser import moderated_group
from server.storage import actors as actor_store
from server.storage import calendar_sources as source_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from server.storage.calendar_sources import CalendarSourceRow
from server.storage.neighbourhoods import NeighbourhoodRow
from server.web.access import federating, require_account
from server.web.forms import N_, Form, read_form
from server.web.templating import redirect, render

# What each status means, in words an organiser can act on (docs/feeds.md lists them).
STATUS_WORDS = {
    "pending": N_("Not synced yet. The first sync comes with the next round, within a few minutes."),
    "ok": N_("The last sync worked."),
    "refused": N_(
        "Refused: the address points (or redirects) to a private or reserved network address. "
        "Buurtplein never fetches those."
    ),
    "too_large": N_("Too large: the calendar file is bigger than this server accepts, or holds too many events."),
    "timeout": N_("The calendar server took too long to answer. The next sync tries again."),
    "http_error": N_("The calendar server answered with an error. Check the address."),
    "malformed": N_("This address does not give a readable iCalendar (.ics) file."),
    "failed": N_("The calendar could not be fetched (a network error or another fault). The next sync tries again."),
}
NOTICES = {
    "added": N_("The calendar is added. Its events appear after the first sync."),
    "removed": N_("The calendar is removed. Events it already brought in stay on the agenda."),
    "queued": N_("The calendar will be synced within a few minutes. Reload this page to see the result."),
}


@dataclass(frozen=True)
class SourceView:
    source: CalendarSourceRow
    words: str
    failed: bool


def source_view(source: CalendarSourceRow) -> SourceView:
    return SourceView(
        source, STATUS_WORDS.get(source.status, STATUS_WORDS["failed"]), source.status not in ("ok", "pending")
    )


async def managed_group(request: web.Request) -> tuple[ActorRow, NeighbourhoodRow]:
    """(group, neighbourhood) for /neighbourhoods/{name}/calendars…: its moderators and the
    instance administrators; 404 when there is no such neighbourhood, 403 for anyone else."""
    try:
        _, group, hood = await moderated_group(request)
        return group, hood
    except web.HTTPForbidden:
        if not (await require_account(request)).is_admin:
            raise
    pool = request.app[POOL]
    found = await actor_store.local_actor(pool, request.match_info["name"][:100])
    found_hood = await neighbourhood_store.neighbourhood_by_actor_id(pool, found.id) if found else None
    if found is None or found_hood is None or found.gone_at is not None:
        raise web.HTTPNotFound(text="no such neighbourhood")
    return found, found_hood


async def _page(
    request: web.Request, group: ActorRow, hood: NeighbourhoodRow, form: Form, *, status: int = 200
) -> web.Response:
    sources = await source_store.sources_of(request.app[POOL], group.id)
    notice = NOTICES.get(next((k for k in NOTICES if k in request.query), ""), "") if status == 200 else ""
    context: dict[str, Any] = {
        "group": group,
        "hood": hood,
        "sources": [source_view(s) for s in sources],
        "form": form,
        "notice": notice,
        "max_sources": ical_bridge.MAX_SOURCES,
    }
    response = render(request, "calendar_sources.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


async def sources_page(request: web.Request) -> web.Response:
    group, hood = await managed_group(request)
    return await _page(request, group, hood, Form())


async def add_source(request: web.Request) -> web.Response:
    group, hood = await managed_group(request)
    pool = request.app[POOL]
    form = await read_form(request, ("url", "name"))
    form.limit("name", ical_bridge.MAX_SOURCE_NAME, N_("Use at most 200 characters."))
    url = ""
    if form.require("url", N_("Enter the address of the calendar.")):
        try:
            url = ical_bridge.calendar_url(form.value("url"))
        except InvalidCalendarUrl:
            form.fail(
                "url", N_("Give an http(s) or webcal address of an .ics calendar, like https://example.org/agenda.ics.")
            )
    if url and await source_store.listed_url(pool, group.id, url):
        form.fail("url", N_("This neighbourhood imports this calendar already."))
    if url and len(await source_store.sources_of(pool, group.id)) >= ical_bridge.MAX_SOURCES:
        form.fail("url", N_("A neighbourhood imports at most 20 calendars. Remove one first."))
    if not form.is_valid:
        return await _page(request, group, hood, form, status=400)
    await ical_bridge.add_calendar_source(federating(request), group, url, form.value("name"))
    raise redirect(f"/neighbourhoods/{group.username}/calendars?added=1")


def _source_id(request: web.Request) -> int:
    text = request.match_info["source"]
    if not text.isdigit() or len(text) > 18:
        raise web.HTTPNotFound(text="no such calendar")
    return int(text)


async def remove_source(request: web.Request) -> web.Response:
    group, _ = await managed_group(request)
    if not await source_store.remove_source(request.app[POOL], group.id, _source_id(request)):
        raise web.HTTPNotFound(text="no such calendar")
    raise redirect(f"/neighbourhoods/{group.username}/calendars?removed=1")


async def sync_soon(request: web.Request) -> web.Response:
    group, _ = await managed_group(request)
    if not await source_store.sync_soon(request.app[POOL], group.id, _source_id(request)):
        raise web.HTTPNotFound(text="no such calendar")
    raise redirect(f"/neighbourhoods/{group.username}/calendars?queued=1")


def setup(app: web.Application) -> None:
    app.router.add_get("/neighbourhoods/{name}/calendars", sources_page)
    app.router.add_post("/neighbourhoods/{name}/calendars", add_source)
    app.router.add_post("/neighbourhoods/{name}/calendars/{source}/remove", remove_source)
    app.router.add_post("/neighbourhoods/{name}/calendars/{source}/sync", sync_soon)
