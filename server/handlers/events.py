"""Incoming events and RSVPs in every dialect, mapped onto one attendee model.

To a LOCAL event:
* Mobilizon `Join` → going (answered with `Accept`, the whole Join as object), pending
  for events the organiser approves (no answer yet), or `Reject` with a reason (deleted,
  cancelled, over, invitation only, full); `Leave` or `Undo{Join}` → no longer attending.
* Friendica `Accept` / `TentativeAccept` / `Reject` with the Event as object → going,
  maybe, declined (no answer, except a `Reject` of the RSVP when it is refused);
  `Undo` of one of them → no longer attending.
* Any RSVP to an event that takes no RSVPs (join mode "none") → `Ignore` of the RSVP.
From a remote organiser: `Accept` / `Reject` / `Ignore` of our resident's Join.
From an actor invited to a local event: `Accept{Invite}` → going, `Reject{Invite}` → declined.
`Create{Event}` from a remote server: stored as an event (not flattened to a post);
`Update{Event}` refreshes it.
"""

from __future__ import annotations

from typing import Any

from activitypub.jsonld import get_id, language_map_value
from federation.dispatch import Handled, Result, Skipped
from server.convert.events import event_from_as
from server.domain.publish import new_activity_id, publish
from server.domain.rsvp import answer_document, record_rsvp, withdraw
from server.handlers.content import sanitise, store_remote_object
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import delegate
from server.handlers.origins import same_origin
from server.handlers.polls import is_stale
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import EventRow
from server.storage.pool import Connection

RSVP_ANSWERS = {"Join": "going", "Accept": "going", "TentativeAccept": "maybe", "Reject": "declined"}
RSVP_TYPES = frozenset({*RSVP_ANSWERS, "Leave"})
_NOT_EMBEDDED = ("@context", "proof", "signature")


def _as_object(activity: Activity) -> dict[str, Any]:
    """The received activity as the object of our answer (without context and proofs)."""
    return {k: v for k, v in activity.items() if k not in _NOT_EMBEDDED}


async def _local_event(ctx: HandlerContext, activity: Activity) -> str | None:
    """The id of the local event the activity's object names (deleted ones too)."""
    object_id = get_id(activity.get("object"))
    if object_id is None or not ctx.is_local(object_id):
        return None
    found = await event_store.event_by_ap_id(ctx.pool, object_id)
    return found.ap_id if found is not None else None


async def _answer(
    ctx: HandlerContext, conn: Connection, event: EventRow, kind: str, activity: Activity, reason: str | None = None
) -> None:
    organiser = await actor_store.actor_by_id(conn, event.actor_id) if event.actor_id else None
    if organiser is None or not organiser.is_local:
        return
    document = answer_document(
        ctx.settings.base_url, new_activity_id(ctx.settings), kind, organiser, _as_object(activity), reason
    )
    await publish(conn, ctx.settings, ctx.keyring, organiser, document, inboxes=[ctx.sender.inbox_url])


async def answer_rsvp(ctx: HandlerContext, activity: Activity, event_ap_id: str, dialect: str) -> Result:
    kind = str(activity.get("type"))
    async with ctx.pool.acquire() as conn, conn.transaction():
        event, decision = await record_rsvp(
            conn, event_ap_id, ctx.sender.id, RSVP_ANSWERS[kind], activity["id"], ctx.clock()
        )
        if event is None:
            return Skipped("RSVP to an unknown event")
        if decision.ignored:
            await _answer(ctx, conn, event, "Ignore", activity)
            return Handled("RSVP ignored: the event takes no RSVPs")
        if decision.refusal is not None:
            await _answer(ctx, conn, event, "Reject", activity, decision.refusal)
            return Handled(f"RSVP refused: {decision.refusal}")
        if dialect == "join" and decision.state == "going":
            await _answer(ctx, conn, event, "Accept", activity)
    return Handled(f"RSVP recorded: {decision.state}")


@delegate("Join")
async def on_join_event(ctx: HandlerContext, activity: Activity) -> Result | None:
    event_ap_id = await _local_event(ctx, activity)
    if event_ap_id is None:
        return None
    return await answer_rsvp(ctx, activity, event_ap_id, "join")


async def _stop_attending(ctx: HandlerContext, event_ap_id: str) -> Result:
    async with ctx.pool.acquire() as conn, conn.transaction():
        event = await event_store.lock_event(conn, event_ap_id)
        if event is None or not await withdraw(conn, event, ctx.sender.id):
            return Skipped("not attending this event")
    return Handled("no longer attending")


@delegate("Leave")
async def on_leave_event(ctx: HandlerContext, activity: Activity) -> Result | None:
    event_ap_id = await _local_event(ctx, activity)
    if event_ap_id is None:
        return None
    return await _stop_attending(ctx, event_ap_id)


async def _answer_to_our_join(ctx: HandlerContext, activity: Activity) -> Result | None:
    """A remote organiser's Accept, Reject or Ignore of a Join we sent."""
    inner_id = get_id(activity.get("object"))
    row = await event_store.attendee_by_rsvp(ctx.pool, inner_id) if inner_id else None
    if row is None:
        return None
    actor = await actor_store.actor_by_id(ctx.pool, row.actor_id)
    event = await _event_by_object_id(ctx, row.event_id)
    if actor is None or not actor.is_local or event is None or event.is_local:
        return None
    if not same_origin(ctx.sender.ap_id, event.ap_id):
        return Skipped("answer to an RSVP from someone else than the event's server")
    async with ctx.pool.acquire() as conn, conn.transaction():
        if activity.get("type") == "Accept":
            await event_store.set_attendee_state(conn, row.id, "going")
            return Handled("our RSVP was accepted")
        await event_store.delete_attendee(conn, row.event_id, row.actor_id)
    return Handled("our RSVP was refused")


async def _answer_to_invitation(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Accept{Invite} (going) or Reject{Invite} (declined) by the actor we invited to one
    of our events (server.domain.event_invitations)."""
    inner_id = get_id(activity.get("object"))
    row = await event_store.attendee_by_rsvp(ctx.pool, inner_id) if inner_id else None
    if row is None or row.actor_id != ctx.sender.id or row.state != "invited":
        return None
    event = await _event_by_object_id(ctx, row.event_id)
    if event is None or not event.is_local:
        return None
    return await answer_rsvp(ctx, activity, event.ap_id, "friendica")


async def _event_by_object_id(ctx: HandlerContext, object_id: int) -> EventRow | None:
    ap_id = await event_store.event_ap_id(ctx.pool, object_id)
    return await event_store.event_by_ap_id(ctx.pool, ap_id) if ap_id else None


def _make_rsvp_delegate(kind: str) -> None:
    @delegate(kind)
    async def on_rsvp(ctx: HandlerContext, activity: Activity) -> Result | None:
        event_ap_id = await _local_event(ctx, activity)
        if event_ap_id is not None:
            return await answer_rsvp(ctx, activity, event_ap_id, "friendica")
        if kind in ("Accept", "Reject"):
            return await _answer_to_invitation(ctx, activity) or await _answer_to_our_join(ctx, activity)
        return None

    on_rsvp.__name__ = f"on_{kind.lower()}_event"


for _kind in ("Accept", "TentativeAccept", "Reject"):
    _make_rsvp_delegate(_kind)


@dispatcher.on("Ignore")
async def on_ignore(ctx: HandlerContext, activity: Activity) -> Result:
    return await _answer_to_our_join(ctx, activity) or Skipped("Ignore of nothing of ours")


@delegate("Undo")
async def on_undo_rsvp(ctx: HandlerContext, activity: Activity) -> Result | None:
    """Undo of a Join, Accept, TentativeAccept or Reject that answered a local event."""
    inner = activity.get("object")
    inner_id = get_id(inner)
    row = await event_store.attendee_by_rsvp(ctx.pool, inner_id) if inner_id else None
    if row is not None and row.actor_id == ctx.sender.id:
        event = await _event_by_object_id(ctx, row.event_id)
        if event is not None:
            return await _stop_attending(ctx, event.ap_id)
    if isinstance(inner, dict) and inner.get("type") in RSVP_TYPES:
        event_ap_id = await _local_event(ctx, inner)
        if event_ap_id is not None:
            return await _stop_attending(ctx, event_ap_id)
    return None


def _owned_event(ctx: HandlerContext, activity: Activity) -> dict[str, Any] | None:
    obj = activity.get("object")
    if not isinstance(obj, dict) or obj.get("type") != "Event" or not isinstance(obj.get("id"), str):
        return None
    owners = {get_id(obj.get("attributedTo")), get_id(obj.get("actor"))}
    if ctx.sender.ap_id not in owners or not same_origin(obj["id"], ctx.sender.ap_id):
        return None
    return obj


def _group_of(ctx: HandlerContext, obj: dict[str, Any]) -> str | None:
    """Mobilizon: an event created by a member and attributed to a group of the same server
    (`actor` is the member, `attributedTo` the group) belongs to that group."""
    attributed = get_id(obj.get("attributedTo"))
    if attributed is None or attributed == ctx.sender.ap_id or not same_origin(attributed, ctx.sender.ap_id):
        return None
    return attributed


async def _event_owner(ctx: HandlerContext, obj: dict[str, Any]) -> ActorRow | str:
    """The actor an incoming event is stored under: its group, else the sender; a string
    says why the group cannot be used."""
    group_id = _group_of(ctx, obj)
    if group_id is None:
        return ctx.sender
    group = await ctx.remote.actor(group_id)
    if group is None:
        return "the event's group could not be fetched"
    if group.is_local or group.kind != "Group":
        return f"the event is attributed to a {group.kind}, not a group of its server"
    return group


@delegate("Create")
async def on_create_event(ctx: HandlerContext, activity: Activity) -> Result | None:
    obj = _owned_event(ctx, activity)
    if obj is None:
        return None
    fields = event_from_as(obj)
    if fields is None:
        return Skipped("Event without a usable startTime")
    owner = await _event_owner(ctx, obj)
    if isinstance(owner, str):
        return Skipped(owner)
    result = await store_remote_object(ctx, owner, obj, activity)
    row = await object_store.object_by_ap_id(ctx.pool, obj["id"])
    if isinstance(result, Handled) and row is not None:
        await event_store.insert_event(ctx.pool, row.id, fields)
    return result


@delegate("Update")
async def on_update_event(ctx: HandlerContext, activity: Activity) -> Result | None:
    obj = _owned_event(ctx, activity)
    if obj is None:
        return None
    existing = await object_store.object_by_ap_id(ctx.pool, obj["id"])
    owner = await _event_owner(ctx, obj)
    owner_id = owner.id if not isinstance(owner, str) else ctx.sender.id
    if existing is None or existing.deleted_at is not None or existing.actor_id != owner_id:
        return Skipped("Update of an unknown or deleted event, or not by its owner")
    if is_stale(existing.document, obj):
        return Skipped("an older Update of the event (deliveries crossed)")
    fields = event_from_as(obj)
    if fields is None:
        return Skipped("Event without a usable startTime")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await object_store.update_object(conn, obj["id"], sanitise(language_map_value(obj, "content") or ""), obj)
        if not await event_store.update_event(conn, existing.id, fields):
            await event_store.insert_event(conn, existing.id, fields)
    return Handled(f"event updated ({fields.status})")
