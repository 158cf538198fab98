"""The asyncpg connection pool, with jsonb encoded by orjson."""

from __future__ import annotations

from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from activitypub.jsonparse import dumps

Pool: TypeAlias = asyncpg.Pool
Connection: TypeAlias = asyncpg.Connection
Record: TypeAlias = asyncpg.Record


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL cannot be reached; the message says what to check."""


class LeanConnection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection released without asyncpg's reset query when it holds no session
    state. asyncpg still checks on release that the connection is open and rolls back an
    open transaction; the reset query (unlock advisory locks, close cursors, UNLISTEN, RESET
    ALL) is one more round trip per request for state this server never leaves on a pooled
    connection except while listening, which marks the connection for a full reset. A
    connection broken without asyncpg noticing fails its next query as a connection error
    (503, see is_connection_error) and is then closed by the pool."""

    _session_state = False

    async def add_listener(self, channel: str, callback: Any) -> None:
        self._session_state = True
        await super().add_listener(channel, callback)

    def get_reset_query(self) -> str:
        if self._session_state:
            self._session_state = False
            return str(super().get_reset_query())
        return ""


async def _init_connection(conn: Any) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: b"\x01" + dumps(value),
        decoder=lambda data: orjson.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    try:
        pool = await asyncpg.create_pool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            init=_init_connection,
            connection_class=LeanConnection,
            command_timeout=60,
            max_inactive_connection_lifetime=300,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(describe_connect_error(dsn, exc)) from None
    assert pool is not None
    return pool


async def connect(dsn: str) -> Connection:
    try:
        return await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(describe_connect_error(dsn, exc)) from None


def describe_connect_error(dsn: str, exc: BaseException) -> str:
    where = redact_dsn(dsn)
    if isinstance(exc, asyncpg.InvalidPasswordError):
        return f"PostgreSQL at {where} refused the password; check DATABASE_URL"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return f"the database in {where} does not exist; create it with `createdb` or fix DATABASE_URL"
    if isinstance(exc, OSError):
        return f"cannot reach PostgreSQL at {where} ({exc.strerror or exc}); is it running?"
    return f"PostgreSQL at {where}: {exc}"


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for messages and logs."""
    if "@" not in dsn or "://" not in dsn:
        return dsn
    scheme, rest = dsn.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"


def is_connection_error(exc: BaseException) -> bool:
    """True for failures that mean "the database is away", not "the query is wrong"."""
    return isinstance(
        exc,
        OSError
        | asyncpg.InterfaceError
        # a pooled connection whose server was terminated mid-conversation
        | asyncpg.InternalClientError
        | asyncpg.PostgresConnectionError  # SQLSTATE class 08
        | asyncpg.CannotConnectNowError  # starting up or shutting down
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.TooManyConnectionsError
        # "database is not currently accepting connections" (ALLOW_CONNECTIONS false)
        | asyncpg.ObjectNotInPrerequisiteStateError,
    )


def affected(status: Any) -> int:
    """Rows changed, from a command status such as "UPDATE 1" or "INSERT 0 3"."""
    tail = str(status).rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def with_database(dsn: str, name: str) -> str:
    """The same server, another database (the query, e.g. a socket directory, is kept)."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
