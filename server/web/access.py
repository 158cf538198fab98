"""What page handlers ask of a request: the signed-in resident (or a trip to the login
page), a safe place to go back to, and the domain's federation context."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from server.appkeys import KEYRING, POOL, REMOTE, SETTINGS
from server.domain.federation_context import Federating
from server.storage import account_admin as account_store
from server.storage.account_admin import AccountRow
from server.storage.actors import ActorRow
from server.web.sessions import current_actor, current_session


def federating(request: web.Request) -> Federating:
    app = request.app
    return Federating(app[POOL], app[SETTINGS], app[KEYRING], app[REMOTE])


def safe_next(target: str, default: str = "/") -> str:
    """A local path to go back to; anything else (another site, `//host`) is the default."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and not any(c in target for c in "\r\n\\"):
        return target
    return default


async def require_resident(request: web.Request) -> ActorRow:
    """The signed-in resident, or a redirect to the login page that comes back here."""
    actor = await current_actor(request)
    if actor is None:
        raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe=""))
    return actor


async def require_account(request: web.Request) -> AccountRow:
    await require_resident(request)
    session = current_session(request)
    assert session is not None
    account = await account_store.account_by_id(request.app[POOL], session.account_id)
    if account is None:
        raise web.HTTPSeeOther("/login")
    return account


async def require_admin(request: web.Request) -> AccountRow:
    account = await require_account(request)
    if not account.is_admin:
        raise web.HTTPForbidden(text="administrators only")
    return account
