"""Invitations from other servers to our residents, for events of those servers: an
`Invite{actor: organiser, object: event, target: our resident}` (Mobilizon's shape, which
Buurtplein sends too) is recorded as an invitation (server.domain.event_invitations), and
an `Undo{Invite}` from the event's server removes it while it is unanswered.

The event is stored first when it is new here (embedded in the Invite, else fetched from
its server). Registered before the group handlers' Invite delegate, which takes Invites
into groups: an Invite whose object is a known actor, or no Event, is left to it.
"""

from __future__ import annotations

from typing import Any

from activitypub.jsonld import get_id
from federation.authorise import origin_or_none
from federation.dispatch import Handled, Result, Skipped
from server.convert.events import event_from_as
from server.domain.event_invitations import record_invitation, remove_invitation
from server.handlers.content import store_remote_object
from server.handlers.context import Activity, HandlerContext
from server.handlers.delegates import delegate
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import AttendeeRow, EventRow


def _same_origin(first: str | None, second: str | None) -> bool:
    found = origin_or_none(first) if first else None
    return found is not None and found == (origin_or_none(second) if second else None)


async def _event_document(ctx: HandlerContext, activity: Activity, event_id: str) -> dict[str, Any] | None:
    """The Event as embedded in the Invite (the inbox keeps only same-origin embeddings),
    else as fetched from its server; None when it is no Event."""
    embedded = activity.get("object")
    document = embedded if isinstance(embedded, dict) and embedded.get("id") == event_id else None
    if document is None or "startTime" not in document:
        document = await ctx.remote.fetch_document(event_id)
    if not isinstance(document, dict) or document.get("type") != "Event" or document.get("id") != event_id:
        return None
    return document


async def _owner(ctx: HandlerContext, document: dict[str, Any]) -> ActorRow | None:
    """Who the event is stored under: the sender when it is theirs, or an actor of the
    sender's server it is attributed to (a Mobilizon group)."""
    attributed = get_id(document.get("attributedTo"))
    if attributed is None or attributed == ctx.sender.ap_id:
        return ctx.sender
    if not _same_origin(attributed, ctx.sender.ap_id):
        return None
    owner = await ctx.remote.actor(attributed)
    return owner if owner is not None and not owner.is_local else None


async def _stored_event(ctx: HandlerContext, activity: Activity, event_id: str) -> EventRow | str | None:
    """The remote event the Invite is for (stored now when new), a string saying why it
    cannot be used, or None when the Invite is not for an event."""
    known = await event_store.event_by_ap_id(ctx.pool, event_id)
    if known is not None:
        return known
    if await actor_store.actor_by_ap_id(ctx.pool, event_id) is not None:
        return None  # an Invite into a group
    document = await _event_document(ctx, activity, event_id)
    if document is None:
        return None
    fields = event_from_as(document)
    owner = await _owner(ctx, document)
    if fields is None or owner is None:
        return "the invited event has no usable start time or owner"
    await store_remote_object(ctx, owner, document, activity)
    row = await object_store.object_by_ap_id(ctx.pool, event_id)
    if row is None or row.deleted_at is not None:
        return "the invited event could not be stored"
    if await event_store.event_by_ap_id(ctx.pool, event_id) is None:
        await event_store.insert_event(ctx.pool, row.id, fields)
    return await event_store.event_by_ap_id(ctx.pool, event_id)


@delegate("Invite")
async def invited_to_event(ctx: HandlerContext, activity: Activity) -> Result | None:
    invitee = await actor_store.actor_by_ap_id(ctx.pool, get_id(activity.get("target")) or "")
    event_id = get_id(activity.get("object"))
    if invitee is None or not invitee.is_local or invitee.kind != "Person" or event_id is None:
        return None
    if ctx.is_local(event_id) or not _same_origin(event_id, ctx.sender.ap_id):
        return None
    event = await _stored_event(ctx, activity, event_id)
    if event is None:
        return None
    if isinstance(event, str):
        return Skipped(event)
    if event.is_local or event.deleted_at is not None:
        return Skipped("Invite to a deleted event")
    organiser = await actor_store.actor_by_id(ctx.pool, event.actor_id) if event.actor_id else None
    if organiser is None or not _same_origin(organiser.ap_id, ctx.sender.ap_id):
        return Skipped("Invite to an event by someone of another server than its organiser's")
    async with ctx.pool.acquire() as conn, conn.transaction():
        state = await record_invitation(conn, event.object_id, event.ap_id, invitee, ctx.sender.id, activity["id"])
    return Handled(f"invitation to an event recorded ({state})")


async def _undone_invitation(ctx: HandlerContext, inner: Any) -> AttendeeRow | None:
    """The invitation an Undo names: by the Invite's id, else (an embedded Invite without
    one) by its event and target."""
    inner_id = get_id(inner)
    row = await event_store.attendee_by_rsvp(ctx.pool, inner_id) if inner_id else None
    if row is not None or not isinstance(inner, dict):
        return row
    event = await event_store.event_by_ap_id(ctx.pool, get_id(inner.get("object")) or "")
    invitee = await actor_store.actor_by_ap_id(ctx.pool, get_id(inner.get("target")) or "")
    if event is None or invitee is None:
        return None
    return await event_store.attendee(ctx.pool, event.object_id, invitee.id)


@delegate("Undo")
async def invitation_taken_back(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Undo{Invite} from the server of a remote event: our resident's invitation is removed
    when it has not been answered yet."""
    inner = activity.get("object")
    if isinstance(inner, dict) and inner.get("type") != "Invite":
        return None
    row = await _undone_invitation(ctx, inner)
    invitee = await actor_store.actor_by_id(ctx.pool, row.actor_id) if row is not None else None
    if row is None or invitee is None or not invitee.is_local:
        return None
    event_ap_id = await event_store.event_ap_id(ctx.pool, row.event_id)
    event = await event_store.event_by_ap_id(ctx.pool, event_ap_id) if event_ap_id else None
    if event is None or event.is_local:
        return None
    organiser = await actor_store.actor_by_id(ctx.pool, event.actor_id) if event.actor_id else None
    if organiser is None or not _same_origin(organiser.ap_id, ctx.sender.ap_id):
        return Skipped("Undo{Invite} by someone of another server than the event's organiser")
    if isinstance(inner, dict) and get_id(inner.get("actor")) not in (None, ctx.sender.ap_id):
        return Skipped("Undo of an Invite someone else sent")
    if row.state != "invited":
        return Skipped("Undo{Invite} of an invitation answered already")
    async with ctx.pool.acquire() as conn, conn.transaction():
        removed = await remove_invitation(conn, row.event_id, invitee)
    return Handled("invitation taken back") if removed else Skipped("the invitation was answered meanwhile")
