"""What domain actions that federate need: database, settings, keys and remote lookups."""

from __future__ import annotations

from dataclasses import dataclass

from server.config import Settings
from server.keyring import KeyRing
from server.remote import RemoteActors
from server.storage.pool import Pool
from server.urls import Urls


@dataclass(frozen=True)
class Federating:
    pool: Pool
    settings: Settings
    keyring: KeyRing
    remote: RemoteActors

    @property
    def urls(self) -> Urls:
        return Urls(self.settings)
