"""What a handler of an incoming activity gets: the database, the sender, our settings,
remote lookups and the publisher for replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation.dispatch import Dispatcher
from federation.http import HttpClient
from server.config import Settings
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

    @property
    def urls(self) -> Urls:
        return Urls(self.settings)

    def is_local(self, url: str | None) -> bool:
        return url is not None and self.urls.is_local(url)


HandlerDispatcher = Dispatcher[HandlerContext]
dispatcher: HandlerDispatcher = Dispatcher()
Activity = dict[str, Any]
