"""What a handler of an incoming activity gets: the database, the sender, our settings,
remote lookups and the publisher for replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from federation.dispatch import Dispatcher
from federation.http import HttpClient
from server.config import Settings
from server.fetch_budget import FetchBudget
from server.handlers.origins import CheckedDispatcher
from server.keyring import KeyRing
from server.remote import RemoteActors
from server.storage.actors import ActorRow
from server.storage.pool import Pool
from server.urls import Urls


@dataclass(frozen=True)
class HandlerContext:
    pool: Pool
    settings: Settings
    remote: RemoteActors
    keyring: KeyRing
    http: HttpClient
    sender: ActorRow
    recipient_id: int | None
    clock: Callable[[], datetime]
    depth: int = 0
    # Every fetch made while handling one activity counts against this; `remote` is
    # replaced by a view that spends it (contexts derived with dataclasses.replace share it).
    fetch_budget: FetchBudget = field(default_factory=FetchBudget)

    def __post_init__(self) -> None:
        object.__setattr__(self, "remote", self.remote.budgeted(self.fetch_budget))

    @property
    def urls(self) -> Urls:
        return Urls(self.settings)

    def is_local(self, url: str | None) -> bool:
        return url is not None and self.urls.is_local(url)


HandlerDispatcher = Dispatcher[HandlerContext]
# Refuses (with a logged reason) an activity naming an unparsable URL as an id.
dispatcher: HandlerDispatcher = CheckedDispatcher()
Activity = dict[str, Any]
