"""Session cookies and the middleware that finds the reader's session.

The cookie holds a random token; PostgreSQL holds only its SHA-256. Cookies are HttpOnly,
SameSite=Lax, Path=/, and Secure whenever the instance's scheme is https."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from server.appkeys import POOL, SETTINGS
from server.domain.accounts import hash_token
from server.storage import actors as actor_store
from server.storage import sessions as session_store
from server.storage.actors import ActorRow
from server.storage.sessions import SessionRow

SESSION_COOKIE = "bp_session"
MAX_TOKEN = 100
SESSION = web.RequestKey[SessionRow | None]("session")
ACTOR = web.RequestKey[ActorRow | None]("actor")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_secure(request: web.Request) -> bool:
    return request.app[SETTINGS].scheme == "https"


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_secure(request),
    )


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str, expires: datetime) -> None:
    seconds = max(0, int((expires - datetime.now(expires.tzinfo)).total_seconds()))
    set_cookie(request, response, SESSION_COOKIE, token, seconds)


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/", secure=is_secure(request), httponly=True, samesite="Lax")


def session_token(request: web.Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    return token if 0 < len(token) <= MAX_TOKEN else None


def current_session(request: web.Request) -> SessionRow | None:
    return request.get(SESSION)


async def current_actor(request: web.Request) -> ActorRow | None:
    session = current_session(request)
    if session is None:
        return None
    return request.get(ACTOR)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = session_token(request)
    pool = request.app[POOL]
    session = await session_store.session_by_token_hash(pool, hash_token(token)) if token else None
    request[SESSION] = session
    request[ACTOR] = await actor_store.actor_by_id(pool, session.actor_id) if session else None
    return await handler(request)
