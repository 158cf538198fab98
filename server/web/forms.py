"""Server-side form validation: each field keeps what was typed and gets at most one error
message (an English msgid; the template shows it translated, next to the field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

MAX_FIELD = 20_000


def N_(message: str) -> str:
    """Marks an English msgid for extraction; the template translates it when shown."""
    return message


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def require(self, name: str, message: str = N_("This field is required.")) -> str:
        value = self.value(name).strip()
        if not value:
            self.fail(name, message)
        return value

    def limit(self, name: str, longest: int, message: str = N_("This is too long.")) -> str:
        value = self.value(name)
        if len(value) > longest:
            self.fail(name, message)
        return value


def form_from(data: Mapping[str, Any], names: tuple[str, ...]) -> Form:
    """The text fields `names` of a posted form (a file or a missing field reads as '')."""
    values = {}
    for name in names:
        raw = data.get(name, "")
        values[name] = raw[:MAX_FIELD] if isinstance(raw, str) else ""
    return Form(values=values)


async def read_form(request: web.Request, names: tuple[str, ...]) -> Form:
    return form_from(await request.post(), names)
