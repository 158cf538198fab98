"""Errors with a private cause and a public face: a safe message and an HTTP status."""

from __future__ import annotations

from aiohttp import web


class PublicError(Exception):
    """An expected failure the client may see: `message` is safe to show, `status` is HTTP."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, cause: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause or message
        if status is not None:
            self.status = status


class NotFound(PublicError):
    status = 404


class Forbidden(PublicError):
    status = 403


def json_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
