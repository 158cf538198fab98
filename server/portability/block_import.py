"""Importing a Mastodon block export (`blocked_accounts.csv`: one `name@host` a line, no
header) as blocks of a local actor. Each address is resolved like a follow import
(WebFinger on the address's own host; our own accounts directly) and blocked through
`server.domain.follows.block` (follows both ways end, the other server is told with a
`Block`). One address failing does not stop the rest; each failure has its reason.

`block_address` handles one address, for `import_blocks` (the `import-blocks` command) and
the moving page's background import (server/list_import_task.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from federation.http import HttpClient
from server.domain.federation_context import Federating
from server.domain.follows import block
from server.portability.follow_import import AddressResult, actor_url_of
from server.portability.mastodon_csv import parse_follows_csv
from server.storage import moderation as moderation_store
from server.storage.actors import ActorRow


@dataclass
class BlockImport:
    blocked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address or line, reason)


async def block_address(fed: Federating, http: HttpClient, actor: ActorRow, address: str) -> AddressResult:
    """Resolve `address` (name@host) and block it as `actor`."""
    url = await actor_url_of(fed, http, address)
    if isinstance(url, tuple):
        return AddressResult("failed", url[1])
    if url == actor.ap_id:
        return AddressResult("failed", "that is this account itself")
    target = await fed.remote.actor(url)
    if target is None:
        return AddressResult("failed", "the account could not be fetched")
    if await moderation_store.is_blocked_by(fed.pool, actor.id, target.id):
        return AddressResult("already")
    await block(fed, actor, target)
    return AddressResult("done")


async def import_blocks(fed: Federating, http: HttpClient, actor: ActorRow, csv_text: str) -> BlockImport:
    """Block every account listed in `csv_text` as `actor`."""
    parsed = parse_follows_csv(csv_text)
    result = BlockImport(failed=[(f"line {n}", reason) for n, reason in parsed.refused])
    for entry in parsed.entries:
        outcome = await block_address(fed, http, actor, entry.address)
        if outcome.ending == "failed":
            result.failed.append((entry.address, outcome.reason))
        else:
            (result.blocked if outcome.ending == "done" else result.already).append(entry.address)
    return result
