"""A registry of handlers keyed by (activity type, object type); unknown → ignored, counted.

    dispatcher = Dispatcher[Context]()

    @dispatcher.on("Follow")
    async def on_follow(ctx, activity): ...

    @dispatcher.on("Undo", "Follow")
    async def on_undo_follow(ctx, activity): ...

A handler registered with an object type wins over one registered for the activity type
alone. The object type is read from an embedded object; when the object is only an id the
caller may supply it (e.g. after looking it up).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from federation.authorise import activity_type

C = TypeVar("C")


@dataclass(frozen=True)
class Handled:
    detail: str = ""


@dataclass(frozen=True)
class Skipped:
    """Not acted on (unknown type, not addressed to us, refused by a rule): logged, counted."""

    reason: str


Result = Handled | Skipped
Handler = Callable[[C, dict[str, Any]], Awaitable[Result]]


def object_type(activity: dict[str, Any]) -> str | None:
    embedded = activity.get("object")
    if isinstance(embedded, dict):
        found = activity_type(embedded)
        return found or None
    return None


class Dispatcher(Generic[C]):
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str | None], Handler[C]] = {}
        self.unknown = Counter[str]()

    def on(self, activity: str, obj: str | None = None) -> Callable[[Handler[C]], Handler[C]]:
        def register(handler: Handler[C]) -> Handler[C]:
            key = (activity, obj)
            if key in self._handlers:
                raise ValueError(f"a handler for {key} is registered already")
            self._handlers[key] = handler
            return handler

        return register

    def handler_for(self, activity: dict[str, Any], obj_type: str | None = None) -> Handler[C] | None:
        kind = activity_type(activity)
        found_type = obj_type or object_type(activity)
        return self._handlers.get((kind, found_type)) or self._handlers.get((kind, None))

    async def dispatch(self, ctx: C, activity: dict[str, Any], obj_type: str | None = None) -> Result:
        handler = self.handler_for(activity, obj_type)
        if handler is None:
            kind = activity_type(activity) or "?"
            self.unknown[kind] += 1
            return Skipped(f"no handler for {kind}/{obj_type or object_type(activity) or '-'}")
        return await handler(ctx, activity)

    def registered(self) -> list[tuple[str, str | None]]:
        return sorted(self._handlers, key=lambda k: (k[0], k[1] or ""))
