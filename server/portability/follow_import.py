"""Importing a Mastodon follow export (`following_accounts.csv`): each address is resolved
with WebFinger (federation/webfinger.py; our own residents and neighbourhoods directly) and
followed through `server.domain.follows.follow`. One address failing does not stop the rest;
each failure is reported with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from federation.http import HttpClient
from federation.webfinger import Resolved, resolve_handle
from server.domain.federation_context import Federating
from server.domain.follows import UnknownActor, follow
from server.portability.mastodon_csv import parse_follows_csv
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow


@dataclass
class FollowImport:
    followed: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address or line, reason)


async def actor_url_of(fed: Federating, http: HttpClient, address: str) -> str | tuple[str, str]:
    """The actor URL of `name@host`, or (address, reason)."""
    name, _, host = address.rpartition("@")
    if host.lower() == fed.settings.domain.lower():
        local = await actor_store.local_actor(fed.pool, name)
        return local.ap_id if local is not None else (address, "no such account here")
    found = await resolve_handle(http, address, scheme=fed.settings.scheme)
    if isinstance(found, Resolved):
        return found.actor_url
    return (address, found.reason)


async def import_follows(fed: Federating, http: HttpClient, actor: ActorRow, csv_text: str) -> FollowImport:
    parsed = parse_follows_csv(csv_text)
    result = FollowImport(failed=[(f"line {n}", reason) for n, reason in parsed.refused])
    for entry in parsed.entries:
        url = await actor_url_of(fed, http, entry.address)
        if isinstance(url, tuple):
            result.failed.append(url)
            continue
        if url == actor.ap_id:
            result.failed.append((entry.address, "that is this account itself"))
            continue
        known = await actor_store.actor_by_ap_id(fed.pool, url)
        if known is not None and await follow_store.follow_state(fed.pool, actor.id, known.id) is not None:
            result.already.append(entry.address)
            continue
        try:
            await follow(fed, actor, url)
        except UnknownActor:
            result.failed.append((entry.address, "the account could not be fetched"))
            continue
        result.followed.append(entry.address)
    return result
