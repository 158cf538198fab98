"""A resident or neighbourhood organises an event: create, update, cancel, delete.

Each change federates as an activity on the Event (Create, Update, Delete) to the
organiser's followers and the event's remote attendees. Mastodon shows no Updates of
Events, so an update or cancellation also posts a short Note (a reply to the event) to
the followers: that is what Mastodon users see. A resident's event may be held in a
neighbourhood (FEP-1b12, as a post): addressed to the group (`cc` and `audience`), which
announces it to its followers by the rules of server.domain.group_posts; its Updates and
its Delete are announced by the local neighbourhoods that announced it. An update keeps
the picture unless it is given a `PictureChange`: new alt text, a new picture, or none; a
picture that goes is removed from disk once nothing else shows it. A picture kept because
something else still showed it goes (row and file) when the last event showing it is
edited or deleted, or otherwise at the next media housekeeping (server.domain.media_cleanup).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from activitypub.terms import PUBLIC
from server import hooks
from server.convert.events import event_context, event_fields_document, event_update_note_text, valid_timezone
from server.domain import posts
from server.domain.federation_context import Federating
from server.domain.group_posts import announce_change, announce_update, announcing_groups
from server.domain.media import MediaRefused, clean_alt_text, remove_files
from server.domain.membership import NotAllowed, may_post
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import media as media_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.events import JOIN_MODES, EventFields, EventRow
from server.storage.objects import ObjectRow
from server.storage.pool import Connection, Pool

EVENT_VISIBILITIES = ("public", "unlisted", "followers")
# A neighbourhood announces public and unlisted events only (as it does posts).
NEIGHBOURHOOD_VISIBILITIES = ("public", "unlisted")
# Run inside the transaction that stores an event change (e.g. the iCal bridge records
# which source item the event came from), so both commit together or not at all.
AlsoOnCreate = Callable[[Connection, ObjectRow], Awaitable[None]]
AlsoOnUpdate = Callable[[Connection], Awaitable[None]]
MAX_DESCRIPTION = 50_000
MAX_NAMES = 1000


class InvalidEvent(ValueError):
    """The event cannot be saved as given; the message says why (safe to show)."""


class NotOrganiser(PermissionError):
    """Only the organiser may change this event."""


@dataclass(frozen=True)
class NewAltText:
    """The event keeps its picture with this description (alt text)."""

    alt_text: str


@dataclass(frozen=True)
class NewPicture:
    """The organiser's own unattached upload `media_id` becomes the picture (it carries its
    alt text); the one it replaces goes."""

    media_id: int


@dataclass(frozen=True)
class NoPicture:
    """The event loses its picture."""


PictureChange = NewAltText | NewPicture | NoPicture


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def check_event(event: EventFields) -> None:
    if not event.name.strip():
        raise InvalidEvent("an event needs a name")
    if event.starts_at.tzinfo is None or (event.ends_at is not None and event.ends_at.tzinfo is None):
        raise InvalidEvent("times need a time zone offset")
    if event.ends_at is not None and event.ends_at < event.starts_at:
        raise InvalidEvent("an event cannot end before it starts")
    if event.timezone is not None and valid_timezone(event.timezone) is None:
        raise InvalidEvent(f"{event.timezone!r} is not an IANA time zone")
    if event.join_mode not in JOIN_MODES:
        raise InvalidEvent(f"join mode must be one of {', '.join(JOIN_MODES)}")
    if event.capacity is not None and event.capacity < 1:
        raise InvalidEvent("capacity must be at least 1 (or none for no limit)")
    if event.online_url is not None and not event.online_url.startswith(("https://", "http://")):
        raise InvalidEvent("the online location must be an http(s) URL")
    if event.latitude is not None and not -90 <= event.latitude <= 90:
        raise InvalidEvent("latitude must be between -90 and 90")
    if event.longitude is not None and not -180 <= event.longitude <= 180:
        raise InvalidEvent("longitude must be between -180 and 180")


def _activity(kind: str, actor: ActorRow, obj: Any, to: list[str], cc: list[str], activity_id: str) -> dict[str, Any]:
    """An activity on an event; an embedded object travels without its own @context."""
    if isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k != "@context"}
    return {
        "@context": event_context(),
        "id": activity_id,
        "type": kind,
        "actor": actor.ap_id,
        "object": obj,
        "to": to,
        "cc": cc,
    }


async def create_event(
    fed: Federating,
    organiser: ActorRow,
    event: EventFields,
    description_html: str = "",
    *,
    visibility: str = "public",
    also: AlsoOnCreate | None = None,
    media_ids: Sequence[int] = (),
    neighbourhood: ActorRow | None = None,
) -> ObjectRow:
    """Publish a new event of `organiser` (a resident or a neighbourhood); the first of
    `media_ids` that is the organiser's own unattached upload becomes its picture.

    With `neighbourhood` (a Group; a resident organises) the event is held there: the
    group is in `cc` and is the `audience`, and the group announces it like a member's
    post (server.domain.group_posts). For our own neighbourhoods the posting rights are
    checked first (NotAllowed); only public and unlisted events can be held there."""
    check_event(event)
    if visibility not in EVENT_VISIBILITIES:
        raise InvalidEvent(f"visibility must be one of {', '.join(EVENT_VISIBILITIES)}")
    if neighbourhood is not None:
        await _check_neighbourhood(fed, organiser, neighbourhood, visibility)
    event = replace(event, status="scheduled", reported_participants=None)
    picture = (await media_store.unattached_media_of(fed.pool, organiser.id, media_ids[:1]))[:1]
    if picture:
        event = replace(
            event,
            image_url=fed.urls.media(picture[0].file_name),
            image_media_type=picture[0].media_type,
            image_alt=picture[0].alt_text,
        )
    to, cc = posts.audience(organiser, visibility, [])
    if neighbourhood is not None:
        cc = [*cc, neighbourhood.ap_id]
    published = now_utc()
    object_id = fed.urls.object(uuid.uuid4().hex)
    document: dict[str, Any] = {
        "@context": event_context(),
        "id": object_id,
        "type": "Event",
        "attributedTo": organiser.ap_id,
        "content": posts.sanitise(description_html[:MAX_DESCRIPTION]),
        "mediaType": "text/html",
        "published": published.isoformat().replace("+00:00", "Z"),
        "url": object_id,
        "to": to,
        "cc": cc,
        **event_fields_document(event, 0),
    }
    if neighbourhood is not None:
        document["audience"] = neighbourhood.ap_id
    create = _activity("Create", organiser, document, to, cc, object_id + "/activity")
    async with fed.pool.acquire() as conn, conn.transaction():
        row = await object_store.insert_object(
            conn,
            {
                "ap_id": object_id,
                "type": "Event",
                "actor_id": organiser.id,
                "attributed_to": organiser.ap_id,
                "visibility": visibility,
                "is_local": True,
                "content": document["content"],
                "document": document,
                "published_at": published,
            },
        )
        assert row is not None
        await event_store.insert_event(conn, row.id, event)
        if picture:
            await media_store.attach_media(conn, row.id, [picture[0].id])
        await publish(conn, fed.settings, fed.keyring, organiser, create, to_followers=True)
        if also is not None:
            await also(conn, row)
    await hooks.run_local_post_published(fed, organiser, row, create)
    return row


async def _check_neighbourhood(fed: Federating, organiser: ActorRow, group: ActorRow, visibility: str) -> None:
    """May `organiser` hold an event of this visibility in `group`? InvalidEvent or
    NotAllowed says why not (bans, posting mode and suspension as for posts)."""
    if group.kind != "Group" or organiser.kind == "Group":
        raise InvalidEvent("a resident holds an event in a neighbourhood")
    if visibility not in NEIGHBOURHOOD_VISIBILITIES:
        raise InvalidEvent("an event in a neighbourhood is public or unlisted")
    if not group.is_local:
        return
    hood = await neighbourhood_store.neighbourhood_by_actor_id(fed.pool, group.id)
    if hood is None:
        raise InvalidEvent(f"{group.ap_id} is not a neighbourhood")
    async with fed.pool.acquire() as conn:
        if await may_post(conn, hood, organiser) == "refuse":
            raise NotAllowed(f"{organiser.ap_id} may not post in {group.ap_id}")


async def _remote_group_inboxes(conn: Connection, document: dict[str, Any]) -> list[str]:
    """The inbox of the remote neighbourhood the event is held in (its `audience`), if any."""
    audience = document.get("audience")
    group = await actor_store.actor_by_ap_id(conn, audience) if isinstance(audience, str) else None
    if group is None or group.is_local or group.kind != "Group" or group.gone_at is not None:
        return []
    return [group.delivery_inbox]


async def own_event(fed: Federating, organiser: ActorRow, ap_id: str) -> EventRow:
    found = await event_store.event_by_ap_id(fed.pool, ap_id)
    if found is None or found.deleted_at is not None or not found.is_local or found.actor_id != organiser.id:
        raise NotOrganiser("only the organiser may change this event")
    return found


async def refreshed_document(
    conn: Connection, ap_id: str, event: EventFields, content: str | None = None
) -> dict[str, Any]:
    """The stored Event document with the current fields and attendee count (saved)."""
    row = await object_store.object_by_ap_id(conn, ap_id)
    assert row is not None and row.document is not None
    found = await event_store.event_by_ap_id(conn, ap_id)
    assert found is not None
    going = (await event_store.attendee_counts(conn, found.object_id))["going"]
    document = {
        k: v
        for k, v in row.document.items()
        if k not in ("endTime", "location", "maximumAttendeeCapacity", "attachment")
    }
    document.pop("remainingAttendeeCapacity", None)
    document.update(event_fields_document(event, going))
    if content is not None:
        document["content"] = content
    await object_store.update_object(conn, ap_id, document.get("content", ""), document)
    return document


async def update_event(
    fed: Federating,
    organiser: ActorRow,
    ap_id: str,
    event: EventFields,
    description_html: str | None = None,
    *,
    tell_mastodon: bool = True,
    also: AlsoOnUpdate | None = None,
    picture: PictureChange | None = None,
) -> dict[str, Any]:
    """Change an event; attendees and followers get an Update, followers also a Note.
    Without `picture` the event keeps its picture (when `event` names none); with one the
    picture gets new alt text, is replaced or goes. A picture that goes leaves the disk
    after the commit, unless something else still shows it."""
    current = await own_event(fed, organiser, ap_id)
    check_event(event)
    event, new_media = await _with_picture(fed, organiser, current.fields, event, picture)
    content = posts.sanitise(description_html[:MAX_DESCRIPTION]) if description_html is not None else None
    old_url = current.fields.image_url
    files: list[str] = []
    async with fed.pool.acquire() as conn, conn.transaction():
        await event_store.update_event(conn, current.object_id, event)
        if new_media is not None:
            await media_store.attach_media(conn, current.object_id, [new_media.id])
        if isinstance(picture, NewAltText) and event.image_alt is not None:
            await media_store.describe_media_of_object(conn, current.object_id, event.image_alt)
        if old_url is not None and old_url != event.image_url:
            files = await _forget_picture(fed, conn, current.object_id, old_url)
        document = await refreshed_document(conn, ap_id, event, content)
        document["updated"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")  # to the microsecond
        await object_store.update_object(conn, ap_id, document.get("content", ""), document)
        update = _activity(
            "Update", organiser, document, document.get("to", []), document.get("cc", []), new_activity_id(fed.settings)
        )
        inboxes = await event_store.attendee_inboxes(conn, current.object_id)
        inboxes += await _remote_group_inboxes(conn, document)
        signed = await publish(conn, fed.settings, fed.keyring, organiser, update, inboxes=inboxes, to_followers=True)
        stored = await object_store.object_by_ap_id(conn, ap_id)
        assert stored is not None
        await announce_update(conn, fed, stored, signed, organiser)
        if also is not None:
            await also(conn)
    if files:
        await remove_files(fed.settings, files)  # the Update is queued: the old picture goes from disk
    if tell_mastodon:
        await posts.create_note(
            fed,
            organiser,
            event_update_note_text(event, ap_id),
            visibility=current.visibility,
            in_reply_to=ap_id,
        )
    return document


async def _with_picture(
    fed: Federating, organiser: ActorRow, old: EventFields, event: EventFields, picture: PictureChange | None
) -> tuple[EventFields, media_store.MediaRow | None]:
    """`event` with its picture after the change, and the new upload to attach (if any)."""
    if isinstance(picture, NoPicture):
        return replace(event, image_url=None, image_media_type=None, image_alt=None), None
    if isinstance(picture, NewPicture):
        found = await media_store.unattached_media_of(fed.pool, organiser.id, [picture.media_id])
        if not found:
            raise InvalidEvent("the new picture must be an unused upload of the organiser")
        medium = found[0]
        url = fed.urls.media(medium.file_name)
        return replace(event, image_url=url, image_media_type=medium.media_type, image_alt=medium.alt_text), medium
    if event.image_url is None:  # an edit keeps the picture
        event = replace(event, image_url=old.image_url, image_media_type=old.image_media_type, image_alt=old.image_alt)
    if isinstance(picture, NewAltText):
        if event.image_url is None:
            raise InvalidEvent("the event has no picture to describe")
        try:
            event = replace(event, image_alt=clean_alt_text(picture.alt_text))
        except MediaRefused as refusal:
            raise InvalidEvent(str(refusal)) from None
    return event, None


async def _forget_picture(fed: Federating, conn: Connection, object_id: int, url: str) -> list[str]:
    """Forget the event's own medium behind `url` (the picture it no longer shows) unless
    something else still shows that URL — and a medium of another post or event that was
    kept only because this event showed its URL; the file names to remove after the commit."""
    media = await media_store.media_of_object(conn, object_id)
    names = [m.file_name for m in media if fed.urls.media(m.file_name) == url]
    files = await media_store.forget_unused_media(conn, object_id, names, url) if names else []
    return files + await _forget_kept_elsewhere(fed, conn, url)


async def _forget_kept_elsewhere(fed: Federating, conn: Connection, url: str | None) -> list[str]:
    """The medium behind our `url` when it was kept for another (deleted or edited) post
    only because something showed it, and nothing does any more; its file name, to remove."""
    prefix = fed.urls.media("")
    if url is None or not url.startswith(prefix) or "/" in url[len(prefix) :]:
        return []
    return await media_store.forget_media_shown_by_nothing(conn, prefix, 1, [url[len(prefix) :]])


async def _forget_media(fed: Federating, conn: Connection, object_id: int, shown: str | None) -> list[str]:
    """Forget every medium of the (deleted) event unless something else still shows its
    URL, and the medium of another post kept only because this event showed its URL
    (`shown`, the event's picture) when nothing else does; the file names to remove after
    the commit."""
    files: list[str] = []
    for medium in await media_store.media_of_object(conn, object_id):
        url = fed.urls.media(medium.file_name)
        files += await media_store.forget_unused_media(conn, object_id, [medium.file_name], url)
    return files + await _forget_kept_elsewhere(fed, conn, shown)


async def cancel_event(fed: Federating, organiser: ActorRow, ap_id: str) -> dict[str, Any]:
    current = await own_event(fed, organiser, ap_id)
    return await update_event(fed, organiser, ap_id, replace(current.fields, status="cancelled"))


async def postpone_event(fed: Federating, organiser: ActorRow, ap_id: str) -> dict[str, Any]:
    current = await own_event(fed, organiser, ap_id)
    return await update_event(fed, organiser, ap_id, replace(current.fields, status="postponed"))


async def delete_event(fed: Federating, organiser: ActorRow, ap_id: str) -> None:
    """Remove the event: a Delete to followers and attendees; later RSVPs get a Reject.
    Its picture leaves the disk after the commit, unless something else still shows it."""
    current = await own_event(fed, organiser, ap_id)
    delete = _activity(
        "Delete",
        organiser,
        {"id": ap_id, "type": "Tombstone"},
        [PUBLIC],
        [organiser.followers_url or ""],
        new_activity_id(fed.settings),
    )
    async with fed.pool.acquire() as conn, conn.transaction():
        inboxes = await event_store.attendee_inboxes(conn, current.object_id)
        stored = await object_store.object_by_ap_id(conn, ap_id)
        inboxes += await _remote_group_inboxes(conn, (stored.document if stored else None) or {})
        groups = await announcing_groups(conn, ap_id)
        await object_store.tombstone_object(conn, ap_id, organiser.ap_id, organiser.id)
        signed = await publish(
            conn,
            fed.settings,
            fed.keyring,
            organiser,
            delete,
            inboxes=inboxes,
            to_followers=current.visibility != "direct",
        )
        if stored is not None:
            await announce_change(conn, fed, stored, signed, groups)
        files = await _forget_media(fed, conn, current.object_id, current.fields.image_url)
    await remove_files(fed.settings, files)  # the Delete is queued: the picture goes from disk


async def attendee_names(pool: Pool, event: EventRow, viewer_ap_id: str | None) -> list[str] | None:
    """Who is going, for the organiser only (None for anyone else: the count is public,
    the names are not)."""
    if viewer_ap_id is None or viewer_ap_id != event.attributed_to:
        return None
    return await event_store.attendee_ids(pool, event.object_id, "going", MAX_NAMES)
