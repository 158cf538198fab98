"""Notifications about content: RSVPs to an event (for its organisers), new votes in a
poll (for its author, at most one per poll per hour) and reports (for the neighbourhood's
moderators, or the instance admins).

An event or poll of a neighbourhood (Group) is organised by its local moderators; a
resident's by the resident. Every notification goes through
server.domain.notifications.notify (local recipients only, never about oneself, never from
someone the recipient blocks, never twice), except the poll one, which is renewed.
"""

from __future__ import annotations

from collections.abc import Sequence

from server.domain.notifications import notify
from server.storage import content_notifications as store
from server.storage.actors import Db

RSVP_KINDS = {"going": "rsvp_going", "maybe": "rsvp_maybe", "declined": "rsvp_declined", "pending": "rsvp_pending"}
POLL_VOTES_KIND = "poll_votes"
POLL_VOTES_EVERY_SECONDS = 3600.0
REPORT_KIND = "report"


async def notify_rsvp(db: Db, organiser_id: int | None, event_ap_id: str, attendee_id: int, state: str) -> int:
    """An attendee answered a local event; returns how many organisers were told."""
    kind = RSVP_KINDS.get(state)
    if kind is None or organiser_id is None:
        return 0
    told = 0
    for recipient in await store.organiser_ids(db, organiser_id):
        told += await notify(db, recipient, kind, attendee_id, event_ap_id)
    return told


async def notify_poll_votes(db: Db, author_id: int, poll_ap_id: str) -> int:
    """New votes in a local poll: one notification per poll, renewed at most once an hour
    (not one per vote). Call it in the vote's transaction."""
    told = 0
    for recipient in await store.organiser_ids(db, author_id):
        told += await store.renew_notification(db, recipient, POLL_VOTES_KIND, poll_ap_id, POLL_VOTES_EVERY_SECONDS)
    return told


async def notify_report(db: Db, reporter_id: int, targets: Sequence[str], group_id: int | None) -> int:
    """A report was stored: the neighbourhood's local moderators hear of it when it was made
    in a neighbourhood, the instance admins otherwise."""
    if not targets:
        return 0
    recipients = await store.local_moderator_ids(db, group_id) if group_id else await store.admin_actor_ids(db)
    told = 0
    for recipient in recipients:
        told += await notify(db, recipient, REPORT_KIND, reporter_id, targets[0])
    return told
