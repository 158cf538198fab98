"""Polls for resident consultation, in Mastodon's shape (Question with oneOf/anyOf).

A vote counts once per actor and option; a one-choice poll takes one option per actor;
votes after the end are ignored and counted (`polls.late_votes`). A counted vote refreshes
the stored Question at once, but its Update is batched: the results are marked due and the
poll closer sends at most one Update per poll per `poll_results_interval_seconds` (to the
author's followers and the remote voters), with `replies.totalItems` per option and
`votersCount`. When the poll closes, the final results go out at once. The poll's author
hears of new votes at most once an hour (one notification per poll, renewed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from server import hooks
from server.convert.events import plain_text
from server.convert.polls import MAX_OPTION_NAME, MAX_OPTIONS, poll_fields_document, vote_document
from server.domain import posts
from server.domain.content_notifications import notify_poll_votes
from server.domain.events import now_utc
from server.domain.federation_context import Federating
from server.domain.publish import AS_CONTEXT, new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import polls as poll_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.storage.pool import Connection

POLL_VISIBILITIES = ("public", "unlisted", "followers")
CLOSE_BATCH = 50


class InvalidPoll(ValueError):
    """The poll or the vote cannot be accepted; the message says why (safe to show)."""


@dataclass(frozen=True)
class VoteOutcome:
    counted: bool
    reason: str = ""


def check_options(options: Sequence[str]) -> list[str]:
    cleaned = [plain_text(o, MAX_OPTION_NAME) or "" for o in options]
    if not 2 <= len(cleaned) <= MAX_OPTIONS:
        raise InvalidPoll(f"a poll needs 2 to {MAX_OPTIONS} options")
    if "" in cleaned or len(set(cleaned)) != len(cleaned):
        raise InvalidPoll("options must be non-empty and different")
    return cleaned


async def create_poll(
    fed: Federating,
    author: ActorRow,
    question_html: str,
    options: Sequence[str],
    *,
    multiple: bool = False,
    ends_at: datetime | None = None,
    visibility: str = "public",
    timezone: str | None = None,
) -> ObjectRow:
    """Publish a poll; `timezone` (an IANA name) is only kept for showing the end time
    on its page: the Question's `endTime` is sent in UTC."""
    names = check_options(options)
    published = now_utc()
    if ends_at is not None and ends_at <= published:
        raise InvalidPoll("the end time must be in the future")
    if visibility not in POLL_VISIBILITIES:
        raise InvalidPoll(f"visibility must be one of {', '.join(POLL_VISIBILITIES)}")
    to, cc = posts.audience(author, visibility, [])
    object_id = fed.urls.object(uuid.uuid4().hex)
    counts = [poll_store.OptionCount(i, n, 0) for i, n in enumerate(names)]
    document: dict[str, Any] = {
        "id": object_id,
        "type": "Question",
        "attributedTo": author.ap_id,
        "content": posts.sanitise(question_html),
        "published": published.isoformat().replace("+00:00", "Z"),
        "url": object_id,
        "to": to,
        "cc": cc,
        **poll_fields_document(counts, multiple=multiple, ends_at=ends_at, closed_at=None, voters=0),
    }
    create = {"@context": AS_CONTEXT, "id": object_id + "/activity", "type": "Create", "actor": author.ap_id,
              "object": document, "to": to, "cc": cc}  # fmt: skip
    async with fed.pool.acquire() as conn, conn.transaction():
        row = await object_store.insert_object(
            conn,
            {
                "ap_id": object_id,
                "type": "Question",
                "actor_id": author.id,
                "attributed_to": author.ap_id,
                "visibility": visibility,
                "is_local": True,
                "content": document["content"],
                "document": document,
                "published_at": published,
            },
        )
        assert row is not None
        await poll_store.insert_poll(
            conn,
            row.id,
            multiple=multiple,
            ends_at=ends_at,
            closed_at=None,
            options=[(n, 0) for n in names],
            timezone=timezone,
        )
        await publish(conn, fed.settings, fed.keyring, author, create, to_followers=True)
    await hooks.run_local_post_published(fed, author, row, create)
    return row


async def record_vote(
    conn: Connection, poll_ap_id: str, actor_id: int, option: str, vote_ap_id: str | None, now: datetime
) -> VoteOutcome:
    """Count one vote in the caller's transaction (the poll row locked meanwhile)."""
    poll = await poll_store.lock_poll(conn, poll_ap_id)
    if poll is None or poll.deleted_at is not None:
        return VoteOutcome(False, "no such poll")
    if poll.is_closed(now):
        await poll_store.count_late_vote(conn, poll.object_id)
        return VoteOutcome(False, "vote after the poll closed")
    position = next((o.position for o in await poll_store.option_counts(conn, poll) if o.name == option), None)
    if position is None:
        return VoteOutcome(False, "no such option")
    if not poll.multiple and await poll_store.positions_voted(conn, poll.object_id, actor_id):
        return VoteOutcome(False, "this actor voted already")
    if not await poll_store.insert_vote(conn, poll.object_id, position, actor_id, vote_ap_id):
        return VoteOutcome(False, "this vote was counted already")
    if poll.is_local and poll.actor_id is not None:
        await notify_poll_votes(conn, poll.actor_id, poll.ap_id)
    return VoteOutcome(True)


async def vote_counted(conn: Connection, fed: Federating, poll_ap_id: str) -> None:
    """After counted votes: the stored Question shows the new counts now; the Update that
    sends them is due (at most one per poll per `poll_results_interval_seconds`)."""
    refreshed = await _refresh_results(conn, poll_ap_id)
    if refreshed is not None:
        await poll_store.mark_results_due(
            conn, refreshed[0], now_utc(), max(0.0, fed.settings.poll_results_interval_seconds)
        )


async def _refresh_results(conn: Connection, poll_ap_id: str) -> tuple[int, ActorRow, dict[str, Any]] | None:
    """Write the current counts into the stored Question: (poll id, author, document)."""
    poll = await poll_store.poll_by_ap_id(conn, poll_ap_id)
    row = await object_store.object_by_ap_id(conn, poll_ap_id)
    if poll is None or row is None or row.document is None or not poll.is_local or poll.actor_id is None:
        return None
    author = await actor_store.actor_by_id(conn, poll.actor_id)
    assert author is not None
    counts = await poll_store.option_counts(conn, poll)
    voters = await poll_store.voters_count(conn, poll)
    document = {k: v for k, v in row.document.items() if k not in ("oneOf", "anyOf", "closed")}
    document.update(
        poll_fields_document(
            counts, multiple=poll.multiple, ends_at=poll.ends_at, closed_at=poll.closed_at, voters=voters
        )
    )
    # microseconds: receivers keep the newest of two Updates sent within one second
    document["updated"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    await object_store.update_object(conn, poll_ap_id, row.content, document)
    return poll.object_id, author, document


async def send_results(conn: Connection, fed: Federating, poll_ap_id: str) -> None:
    """Refresh the stored Question with the current counts and send it as an Update now."""
    refreshed = await _refresh_results(conn, poll_ap_id)
    if refreshed is None:
        return
    poll_id, author, document = refreshed
    await poll_store.mark_results_sent(conn, poll_id, now_utc())
    update = {"@context": AS_CONTEXT, "id": new_activity_id(fed.settings), "type": "Update", "actor": author.ap_id,
              "object": document, "to": document.get("to", []), "cc": document.get("cc", [])}  # fmt: skip
    inboxes = await poll_store.voter_inboxes(conn, poll_id)
    await publish(conn, fed.settings, fed.keyring, author, update, inboxes=inboxes, to_followers=True)


async def vote(fed: Federating, voter: ActorRow, poll_ap_id: str, choices: Sequence[str]) -> list[str]:
    """A local actor votes in a local or remote poll; returns the ids of the vote Notes.
    Raises InvalidPoll (closed, unknown option, voted already, several on a one-choice poll)."""
    poll = await poll_store.poll_by_ap_id(fed.pool, poll_ap_id)
    if poll is None or poll.deleted_at is not None:
        raise InvalidPoll("this poll is unknown or was deleted")
    wanted = list(dict.fromkeys(plain_text(c, MAX_OPTION_NAME) or "" for c in choices))
    if not wanted or (len(wanted) > 1 and not poll.multiple):
        raise InvalidPoll("choose one option" if not poll.multiple else "choose at least one option")
    author = await actor_store.actor_by_id(fed.pool, poll.actor_id) if poll.actor_id else None
    if author is None:
        raise InvalidPoll("the author of this poll is unknown")
    vote_ids = [fed.urls.object(uuid.uuid4().hex) for _ in wanted]
    async with fed.pool.acquire() as conn, conn.transaction():
        for vote_id, option in zip(vote_ids, wanted, strict=True):
            outcome = await record_vote(conn, poll_ap_id, voter.id, option, vote_id, now_utc())
            if not outcome.counted:
                raise InvalidPoll(outcome.reason)
        if poll.is_local:
            await vote_counted(conn, fed, poll_ap_id)
        else:
            for vote_id, option in zip(vote_ids, wanted, strict=True):
                note = vote_document(vote_id, voter.ap_id, poll_ap_id, author.ap_id, option)
                create = {"@context": AS_CONTEXT, "id": vote_id + "/activity", "type": "Create",
                          "actor": voter.ap_id, "object": note, "to": [author.ap_id]}  # fmt: skip
                await publish(conn, fed.settings, fed.keyring, voter, create, inboxes=[author.inbox_url])
    return vote_ids


async def close_due_polls(fed: Federating, now: datetime) -> list[str]:
    """Close local polls whose end has passed and send their final results. Safe in several
    processes at once: each poll is closed, and its final results sent, by one of them."""
    closed: list[str] = []
    for ap_id in await poll_store.due_local_polls(fed.pool, now, CLOSE_BATCH):
        async with fed.pool.acquire() as conn, conn.transaction():
            poll = await poll_store.lock_poll(conn, ap_id)
            if poll is None or poll.deleted_at is not None:
                continue
            if not await poll_store.close_poll(conn, poll.object_id, poll.ends_at or now):
                continue  # closed meanwhile by another process
            await send_results(conn, fed, ap_id)
        closed.append(ap_id)
    return closed


async def send_due_results(fed: Federating, now: datetime) -> list[str]:
    """Send the batched results of local polls whose new counts are due (one Update each).
    Safe in several processes at once: each due batch is claimed and sent by one of them."""
    sent: list[str] = []
    for ap_id in await poll_store.polls_with_due_results(fed.pool, now, CLOSE_BATCH):
        async with fed.pool.acquire() as conn, conn.transaction():
            poll = await poll_store.lock_poll(conn, ap_id)
            if poll is None or poll.deleted_at is not None:
                continue
            if not await poll_store.claim_due_results(conn, poll.object_id, now):
                continue  # sent meanwhile by another process
            await send_results(conn, fed, ap_id)
        sent.append(ap_id)
    return sent
