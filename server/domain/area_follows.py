"""An organisation (a gemeente, a library) follows every public neighbourhood of an area
at once; each neighbourhood lists the institutions that follow it (storage.feeds)."""

from __future__ import annotations

from server.domain.federation_context import Federating
from server.domain.follows import follow
from server.storage import feeds as feed_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow

MAX_AREA_NEIGHBOURHOODS = 1000
PAGE = 100


class NotAnOrganisation(PermissionError):
    """Only Organization accounts follow whole areas."""


async def follow_area(fed: Federating, organisation: ActorRow, area_name: str) -> list[str]:
    """Follow each public neighbourhood whose area is `area_name` (case-insensitive) that
    the organisation does not follow yet; returns the ap_ids of the new Follows."""
    if organisation.kind != "Organization" or not organisation.is_local:
        raise NotAnOrganisation("only a local Organization account can follow an area")
    started: list[str] = []
    after: str | None = None
    seen = 0
    while seen < MAX_AREA_NEIGHBOURHOODS:
        found = await feed_store.public_neighbourhoods(fed.pool, area_name=area_name, after_username=after, limit=PAGE)
        for neighbourhood in found:
            if await follow_store.follow_state(fed.pool, organisation.id, neighbourhood.actor_id) is None:
                started.append(await follow(fed, organisation, neighbourhood.ap_id))
        seen += len(found)
        if len(found) < PAGE:
            break
        after = found[-1].username
    return started
