"""Protocol errors raised by the pure ActivityPub layer.

`str(exc)` is a detailed message for logs; `exc.public_message` is safe to send
back to a remote server or client (it never echoes attacker-supplied text).
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """A document or identifier does not follow the protocol."""

    default_public_message = "malformed ActivityPub document"

    def __init__(self, detail: str, *, public_message: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.public_message = public_message or self.default_public_message


class MalformedObject(ProtocolError):
    """An object (not an activity) is unusable, e.g. it is not a JSON object."""

    default_public_message = "malformed object"


class MalformedActivity(ProtocolError):
    """An activity lacks something every activity needs (id, type, actor)."""

    default_public_message = "malformed activity"


class UnsupportedType(ProtocolError):
    """A well-formed document of a type we do not handle."""

    default_public_message = "unsupported type"


class BadResource(ProtocolError):
    """A WebFinger resource or handle that cannot be parsed."""

    default_public_message = "malformed resource"
