"""A resident's moving page (/settings/moving): account aliases for moving here from another
server (a handle resolved with WebFinger, or an actor URL; the account is fetched and
checked), moving this account to another server (server.portability.move), and uploads of
a Mastodon follow or block export: queued as an import (server/storage/list_imports.py)
that the processes running workers work in the background (server/list_import_task.py);
the page shows how far each recent import has come, with a button to stop a running one.

Every change to the aliases reaches the resident's followers as an `Update` of the actor.
Refusals are shown next to the field, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import list_import_task
from server.appkeys import HTTP
from server.config import Settings
from server.domain import accounts
from server.domain.federation_context import Federating
from server.portability import follow_import
from server.portability.mastodon_csv import MAX_BYTES, CsvRefused, ParsedFollows, parse_follows_csv
from server.portability.move import MAX_ALIASES, MoveRefused, add_also_known_as, move_actor, remove_also_known_as
from server.storage import list_imports as import_store
from server.storage.actors import ActorRow
from server.storage.list_imports import ImportProgress
from server.web.access import federating, require_account, require_resident
from server.web.csrf import is_form
from server.web.forms import N_, Form, form_from, read_form
from server.web.templating import redirect, render
from server.web.upload_limits import allow_upload

PATH = "/settings/moving"
UPLOAD_PATHS = frozenset({PATH + "/follows", PATH + "/blocks"})
FORM_OVERHEAD = 64 * 1024
MAX_ADDRESS = 2048
RECENT_IMPORTS = 4  # imports shown on the page, newest first
FAILED_LISTED = 50  # failed addresses listed per import
REFUSED_LINES_KEPT = 100  # lines that are no address, kept as failed rows of the import

TOO_LARGE = N_("This file is too large: at most 2 MB.")
NOT_FOUND = N_("No account was found at this address. Check it and try again.")
NOT_FETCHED = N_("That account could not be reached. Check the address and try again.")

# The importers' reasons (English, for the command line) → what the page shows.
REASONS = {
    "no such account": N_("no such account"),
    "no such account here": N_("no such account"),
    "the account could not be fetched": N_("the account could not be reached"),
    "that is this account itself": N_("that is this account itself"),
    list_import_task.GAVE_UP: N_("the address could not be handled"),
}


@dataclass(frozen=True)
class ImportView:
    """A recent import as the page shows it: its counts and the first failures (msgids)."""

    progress: ImportProgress
    failed: list[tuple[str, str]]

    @property
    def more_failed(self) -> int:
        return self.progress.failed - len(self.failed)


def reason_msgid(reason: str) -> str:
    if reason.startswith("not an account address"):
        return N_("not an account address")
    return REASONS.get(reason, N_("the address could not be looked up"))


async def page_context(request: web.Request, me: ActorRow, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "aliases": me.also_known_as,
        "max_aliases": MAX_ALIASES,
        "moved_to": me.moved_to,
        "handle": f"{me.username}@{me.domain}",
        "actor_url": me.ap_id,
        "alias_form": Form(),
        "move_form": Form(),
        "follows_form": Form(),
        "blocks_form": Form(),
        "imports": await recent_imports(request, me),
        "started": None,
        "stopped": None,
        "finished": None,
    }
    context.update(extra)
    for name in ("started", "stopped", "finished"):
        wanted = request.query.get(name, "")
        context[name] = next((i.progress for i in context["imports"] if str(i.progress.id) == wanted), None)
    return context


async def recent_imports(request: web.Request, me: ActorRow) -> list[ImportView]:
    pool = federating(request).pool
    imports = await import_store.imports_of(pool, me.id, RECENT_IMPORTS)
    failed = await import_store.failed_addresses(pool, [i.id for i in imports], FAILED_LISTED)
    return [
        ImportView(i, [(where[:200], reason_msgid(reason)) for where, reason in failed.get(i.id, [])]) for i in imports
    ]


async def show(request: web.Request, me: ActorRow, status: int = 200, **extra: Any) -> web.Response:
    return render(request, "settings_moving.html", await page_context(request, me, **extra), status=status)


async def moving_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    notice = N_("Saved.") if request.query.get("saved") else ""
    return await show(request, me, notice=notice)


async def resolve_account(request: web.Request, fed: Federating, typed: str) -> str | tuple[str, str]:
    """The actor URL that `typed` (name@host, @name@host, or an http(s) URL) names, or
    ("", msgid) when it cannot be found."""
    text = typed.strip()
    if text.startswith(("https://", "http://")):
        # a profile URL (https://server.example/@name) names the actor its server serves there
        actor = await fed.remote.actor_at(text)
        return actor.ap_id if actor is not None else text
    address = text.removeprefix("@")
    if "@" not in address:
        return ("", N_("Give an address like name@server.example, or the address of the account's profile."))
    found = await follow_import.actor_url_of(fed, request.app[HTTP], address)
    if isinstance(found, tuple):
        return ("", NOT_FOUND)
    return found


async def add_alias(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("alias",))
    typed = form.require("alias", N_("Give the address of your old account."))
    form.limit("alias", MAX_ADDRESS)
    if not form.is_valid:
        return await show(request, me, status=400, alias_form=form)
    error = await alias_error(request, me, typed)
    if error:
        form.fail("alias", error)
        return await show(request, me, status=400, alias_form=form)
    raise redirect(PATH + "?saved=1")


async def alias_error(request: web.Request, me: ActorRow, typed: str) -> str:
    """Add the account `typed` names as an alias of `me`; the msgid of what went wrong, or ''."""
    fed = federating(request)
    url = await resolve_account(request, fed, typed)
    if isinstance(url, tuple):
        return url[1]
    if url == me.ap_id:
        return N_("That is this account itself.")
    if url not in me.also_known_as and len(me.also_known_as) >= MAX_ALIASES:
        return N_("This account has the most aliases it can have (10). Remove one first.")
    try:
        await add_also_known_as(fed, me, url)
    except MoveRefused:
        return NOT_FETCHED
    return ""


async def remove_alias(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("alias",))
    await remove_also_known_as(federating(request), me, form.value("alias"))
    raise redirect(PATH + "?saved=1")


async def move_away(request: web.Request) -> web.Response:
    me = await require_resident(request)
    account = await require_account(request)
    form = await read_form(request, ("target", "password"))
    typed = form.require("target", N_("Give the address of your new account."))
    form.limit("target", MAX_ADDRESS)
    if me.moved_to:
        form.fail("target", N_("This account has moved already."))
    if not await accounts.verify_password(account.password_hash, form.value("password")):
        form.fail("password", N_("This is not your current password."))
    if form.is_valid:
        await try_move(request, me, form, typed)
    if not form.is_valid:
        form.values["password"] = ""
        return await show(request, me, status=400, move_form=form)
    raise redirect(PATH + "?saved=1")


async def try_move(request: web.Request, me: ActorRow, form: Form, typed: str) -> None:
    """Check the new account as move_actor will (to say precisely what is wrong), then move."""
    fed = federating(request)
    url = await resolve_account(request, fed, typed)
    if isinstance(url, tuple):
        form.fail("target", url[1])
        return
    if url == me.ap_id:
        form.fail("target", N_("That is this account itself."))
        return
    target = await fed.remote.actor(url, refresh=True)
    if target is None or target.gone_at is not None:
        form.fail("target", NOT_FETCHED)
    elif me.ap_id not in target.also_known_as:
        form.fail(
            "target",
            N_("The new account does not list this account as an alias yet. Add it there first, then try again."),
        )
    elif target.moved_to:
        form.fail("target", N_("That account has itself moved to another account."))
    else:
        try:
            await move_actor(fed, me, target.ap_id)
        except MoveRefused:
            form.fail("target", N_("The move could not be made. Try again later."))


async def upload(request: web.Request) -> web.Response:
    me = await require_resident(request)
    kind = "follows" if request.path.endswith("/follows") else "blocks"
    data = await request.post()
    try:
        return await import_upload(request, me, kind, data)
    finally:
        for value in data.values():
            if isinstance(value, web.FileField):
                value.file.close()


async def import_upload(request: web.Request, me: ActorRow, kind: str, data: MultiDictProxy[Any]) -> web.Response:
    """Queue the uploaded list as an import and answer at once; the background task works it."""
    form = form_from(data, ())
    parsed = parsed_upload(data.get("file"), form)
    if parsed is not None and form.is_valid:
        refused = [(f"line {n}", reason) for n, reason in parsed.refused[:REFUSED_LINES_KEPT]]
        addresses = [entry.address for entry in parsed.entries]
        import_id = await import_store.start_import(federating(request).pool, me.id, kind, addresses, refused)
        if import_id is None:
            form.fail("file", N_("An import of this kind is still running. Upload the next list when it is done."))
        else:
            list_import_task.wake(request.app)
            raise redirect(f"{PATH}?started={import_id}#import-heading")
    return await show(request, me, status=400, **{f"{kind}_form": form})


def parsed_upload(upload: Any, form: Form) -> ParsedFollows | None:
    """The uploaded list, or None with the error on the form."""
    text = read_csv_upload(upload, form)
    if text is None:
        return None
    try:
        parsed = parse_follows_csv(text)
    except CsvRefused:
        too_many = N_("This file lists more than 10000 accounts. Split it and upload the parts one after the other.")
        form.fail("file", TOO_LARGE if len(text.encode("utf-8")) > MAX_BYTES else too_many)
        return None
    if not parsed.entries:
        form.fail(
            "file",
            N_(
                "No account addresses were found in this file. Upload following_accounts.csv or "
                "blocked_accounts.csv from an export."
            ),
        )
        return None
    return parsed


def read_csv_upload(upload: Any, form: Form) -> str | None:
    """The uploaded file as text, or None with the error on the form."""
    if not isinstance(upload, web.FileField) or not upload.filename:
        form.fail("file", N_("Choose a file."))
        return None
    raw = upload.file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        form.fail("file", TOO_LARGE)
        return None
    try:
        return str(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        form.fail("file", N_("This is not a CSV text file. Upload the .csv file from your export as it is."))
        return None


async def stop_import(request: web.Request) -> web.Response:
    """Stop one of the resident's running imports: its queued addresses end as stopped."""
    me = await require_resident(request)
    if not is_form(request):  # only a form carries the CSRF token the middleware checks
        raise web.HTTPBadRequest(text="send the page's form")
    text = request.match_info["id"]
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise web.HTTPNotFound(text="no such import")
    stopped = await import_store.stop_import(federating(request).pool, me.id, int(text))
    if stopped is None:
        raise web.HTTPNotFound(text="no such import")
    raise redirect(f"{PATH}?{'stopped' if stopped else 'finished'}={text}#import-{text}")


def upload_limit(settings: Settings) -> int:
    """An export file may be bigger than other form posts (up to 2 MB)."""
    return MAX_BYTES + FORM_OVERHEAD


async def file_too_large(request: web.Request) -> web.StreamResponse:
    """The page again, with the error next to the file field."""
    me = await require_resident(request)
    form = Form()
    form.fail("file", TOO_LARGE)
    kind = "follows" if request.path.endswith("/follows") else "blocks"
    return await show(request, me, status=413, **{f"{kind}_form": form})


def setup(app: web.Application) -> None:
    allow_upload(app, UPLOAD_PATHS, upload_limit, file_too_large, multipart_only=False)
    app.router.add_get(PATH, moving_page)
    app.router.add_post(PATH + "/aliases", add_alias)
    app.router.add_post(PATH + "/aliases/remove", remove_alias)
    app.router.add_post(PATH + "/move", move_away)
    app.router.add_post(PATH + "/follows", upload)
    app.router.add_post(PATH + "/blocks", upload)
    app.router.add_post(PATH + "/imports/{id}/stop", stop_import)
