"""Importing a Mastodon follow export (`following_accounts.csv`): each address is resolved
with WebFinger (federation/webfinger.py; our own residents and neighbourhoods directly) and
followed through `server.domain.follows.follow`. One address failing does not stop the rest;
each failure is reported with its reason.

`follow_address` handles one address; `import_follows` (the `import-follows` command) runs
it for every line of a file, and the moving page's background import
(server/list_import_task.py) for every queued address."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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


Ending = Literal["done", "already", "failed"]


@dataclass(frozen=True)
class AddressResult:
    """How one address of an import ended; `reason` says why it failed (English)."""

    ending: Ending
    reason: str = ""


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


async def follow_address(fed: Federating, http: HttpClient, actor: ActorRow, address: str) -> AddressResult:
    """Resolve `address` (name@host) and follow it as `actor`."""
    url = await actor_url_of(fed, http, address)
    if isinstance(url, tuple):
        return AddressResult("failed", url[1])
    if url == actor.ap_id:
        return AddressResult("failed", "that is this account itself")
    known = await actor_store.actor_by_ap_id(fed.pool, url)
    if known is not None and await follow_store.follow_state(fed.pool, actor.id, known.id) is not None:
        return AddressResult("already")
    try:
        await follow(fed, actor, url)
    except UnknownActor:
        return AddressResult("failed", "the account could not be fetched")
    return AddressResult("done")


async def import_follows(fed: Federating, http: HttpClient, actor: ActorRow, csv_text: str) -> FollowImport:
    parsed = parse_follows_csv(csv_text)
    result = FollowImport(failed=[(f"line {n}", reason) for n, reason in parsed.refused])
    for entry in parsed.entries:
        outcome = await follow_address(fed, http, actor, entry.address)
        if outcome.ending == "failed":
            result.failed.append((entry.address, outcome.reason))
        else:
            (result.followed if outcome.ending == "done" else result.already).append(entry.address)
    return result
