"""Poll pages: the HTML side of /objects/{uid} for a Question (results as bars with
numbers, and a voting form for signed-in residents), voting from the web, and the poll
composer (/compose/poll). The rules live in `server.domain.polls`.

The composer reads the end time in a time zone chosen from the event composer's list
(preselected: the neighbourhood's with `?neighbourhood=`, else the instance default); the
poll keeps the zone and its page shows the end time there, with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.convert.events import valid_timezone
from server.convert.polls import MAX_OPTION_NAME
from server.domain import polls as poll_domain
from server.routes.pages_event_form import VISIBILITY_CHOICES, default_timezone, parse_local_time, zone_groups
from server.routes.pages_events import author_limited, path_of, viewable_object
from server.routes.pages_residents import text_to_html
from server.storage import actors as actor_store
from server.storage import polls as poll_store
from server.storage.objects import ObjectRow
from server.web import opengraph
from server.web.access import federating, require_resident
from server.web.forms import MAX_FIELD, N_, Form
from server.web.post_lists import page_path
from server.web.sessions import current_actor
from server.web.templating import DEFAULT_TIMEZONE, language_of, redirect, render, render_error

MIN_OPTIONS, FORM_OPTIONS = 2, 10
MAX_QUESTION = 2000
OPTION_FIELDS = tuple(f"option{i}" for i in range(1, FORM_OPTIONS + 1))
VOTE_REFUSALS = {
    "vote after the poll closed": N_("This poll is closed."),
    "this actor voted already": N_("You voted already."),
    "this vote was counted already": N_("You voted already."),
    "no such option": N_("Choose one of the options."),
    "choose one option": N_("Choose one option."),
    "choose at least one option": N_("Choose at least one option."),
}


def percentage(votes: int, total: int) -> int:
    return round(100 * votes / total) if total else 0


async def poll_page(request: web.Request, obj: ObjectRow, *, error: str = "", status: int = 200) -> web.Response:
    """A poll with its results and, for residents who may still vote, a voting form."""
    pool = request.app[POOL]
    poll = await poll_store.poll_by_ap_id(pool, obj.ap_id)
    if poll is None:
        return render_error(request, 404, "not found", vary_accept=True)
    me = await current_actor(request)
    author = await actor_store.actor_by_ap_id(pool, obj.attributed_to)
    counts = await poll_store.option_counts(pool, poll)
    total = sum(o.votes for o in counts)
    mine = await poll_store.positions_voted(pool, poll.object_id, me.id) if me else []
    closed = poll.is_closed(datetime.now(UTC))
    context: dict[str, Any] = {
        "obj": obj,
        "poll": poll,
        "author_name": (author.name or author.username) if author else obj.attributed_to,
        "author_url": (author.url or author.ap_id) if author else obj.attributed_to,
        "author_limited": await author_limited(pool, obj),
        "options": [(o, percentage(o.votes, total)) for o in counts],
        "voters": await poll_store.voters_count(pool, poll),
        "my_positions": mine,
        "closed": closed,
        "can_vote": me is not None and not closed and not (mine and not poll.multiple),
        "timezone": poll.timezone or DEFAULT_TIMEZONE,
        "vote_error": error,
        "path": page_path(obj, request.app[SETTINGS].base_url),
        "alternate": obj.ap_id if obj.is_local else None,
        "lang_code": language_of(request),
        "og": opengraph.poll_page_tags(request, obj, author),
    }
    return render(request, "poll.html", context, status=status, vary_accept=True)


async def vote(request: web.Request) -> web.Response:
    """POST /objects/{uid}/vote: one option (or several on a multiple-choice poll)."""
    me = await require_resident(request)
    obj = await viewable_object(request, "Question")
    if obj is None:
        return render_error(request, 404, "not found")
    data = await request.post()
    choices = [v[:MAX_OPTION_NAME] for v in data.getall("choice", []) if isinstance(v, str)][: FORM_OPTIONS * 5]
    if not choices:
        return await poll_page(request, obj, error=N_("Choose at least one option."), status=400)
    try:
        await poll_domain.vote(federating(request), me, obj.ap_id, choices)
    except poll_domain.InvalidPoll as refused:
        message = VOTE_REFUSALS.get(str(refused), N_("Your vote could not be counted."))
        return await poll_page(request, obj, error=message, status=409)
    raise redirect(path_of(request, obj.ap_id) + "#results")


def compose_context(form: Form) -> dict[str, Any]:
    return {
        "form": form,
        "option_fields": OPTION_FIELDS,
        "visibilities": VISIBILITY_CHOICES,
        "time_zones": zone_groups(form.value("timezone")),
    }


async def compose_poll_page(request: web.Request) -> web.Response:
    """The composer; `?neighbourhood=name` makes that neighbourhood's zone the default."""
    await require_resident(request)
    tz = await default_timezone(request, request.query.get("neighbourhood", "")[:40])
    return render(request, "compose_poll.html", compose_context(Form(values={"timezone": tz})))


def parse_end(form: Form) -> tuple[datetime | None, str]:
    """The end time read in the chosen zone, and the zone; errors go next to their field."""
    tz = form.value("timezone").strip() or DEFAULT_TIMEZONE
    if valid_timezone(tz) is None:
        form.fail("timezone", N_("Choose a time zone from the list."))
        return None, DEFAULT_TIMEZONE
    ends = parse_local_time(form, "ends", tz, required=False)  # a time the clocks skip fails "ends"
    if ends is not None and ends <= datetime.now(UTC):
        form.fail("ends", N_("The end must be in the future."))
    return ends, tz


def poll_options(form: Form) -> list[str]:
    options = [form.value(name).strip() for name in OPTION_FIELDS if form.value(name).strip()]
    for name in OPTION_FIELDS:
        form.limit(name, MAX_OPTION_NAME, N_("Use at most 200 characters."))
    if len(options) < MIN_OPTIONS:
        form.fail("option1", N_("Give at least two options."))
    elif len(set(options)) != len(options):
        form.fail("option1", N_("Each option must be different."))
    return options


async def compose_poll(request: web.Request) -> web.Response:
    me = await require_resident(request)
    data = await request.post()
    names = ("question", "multiple", "ends", "timezone", "visibility", *OPTION_FIELDS)
    form = Form(values={n: str(data.get(n, ""))[:MAX_FIELD] for n in names if isinstance(data.get(n, ""), str)})
    question = form.require("question", N_("Write the question."))
    form.limit("question", MAX_QUESTION, N_("Use at most 2000 characters."))
    options = poll_options(form)
    ends, tz = parse_end(form)
    visibility = form.value("visibility") or "public"
    if visibility not in {value for value, _ in VISIBILITY_CHOICES}:
        form.fail("visibility", N_("Choose who may see it."))
    if not form.is_valid:
        return render(request, "compose_poll.html", compose_context(form), status=400)
    try:
        row = await poll_domain.create_poll(
            federating(request), me, text_to_html(question), options,
            multiple=form.value("multiple") == "yes", ends_at=ends, visibility=visibility, timezone=tz,
        )  # fmt: skip
    except poll_domain.InvalidPoll:
        form.fail("option1", N_("Give at least two options."))
        return render(request, "compose_poll.html", compose_context(form), status=400)
    raise redirect(path_of(request, row.ap_id))


def setup(app: web.Application) -> None:
    app.router.add_post("/objects/{uid}/vote", vote)
    app.router.add_get("/compose/poll", compose_poll_page)
    app.router.add_post("/compose/poll", compose_poll)
