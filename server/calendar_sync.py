"""`buurtplein sync-calendars`: one pass of the iCal bridge over the sources that are due
(run it from cron or a systemd timer every few minutes; each source is synced at most
every `calendar_sync_minutes`, and a lease keeps two runs from syncing one source twice)."""

from __future__ import annotations

from server.config import Settings
from server.domain.federation_context import Federating
from server.domain.ical_bridge import SyncResult, bridge_client, sync_due_sources
from server.serve import migrated_pool
from server.services import open_services

MAX_SOURCES_PER_RUN = 200


async def sync_calendars_once(settings: Settings) -> list[SyncResult]:
    async with migrated_pool(settings) as pool, open_services(settings, pool) as services:
        fed = Federating(pool, settings, services.keyring, services.remote)
        async with bridge_client(settings) as http:
            return await sync_due_sources(fed, http, limit=MAX_SOURCES_PER_RUN)
