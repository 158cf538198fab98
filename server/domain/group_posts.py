"""Posts in neighbourhoods (FEP-1b12): a member posts to a neighbourhood; a local
neighbourhood announces a post addressed to it as the UNCHANGED activity (the author's
Create with its proof) wrapped in Announce with `audience`, to its followers — or queues
it for a moderator (posting_mode moderated), or refuses it (banned, not a member).

A post belongs to a neighbourhood when the group is its `audience`, or is in `to`/`cc` of
the post or its Create, or when it replies to a post of that neighbourhood. Public and
unlisted posts are announced to every follower; a members-only post (addressed to the
group's members collection) is announced to the members' inboxes only, never to the
public or to followers who are not members. Replies to a post locked in the group
(Lock, server.handlers.group_moderation) are not announced.

A member's later Update of a post (or event) a neighbourhood announced — a resident's
edit, or a remote member's own Update as received — is announced by it the same way,
unchanged; so is the author's Delete (server.domain.events, server.handlers.group_announces).
Not for a post that is rejected or removed, nor when the author may no longer post there;
for a queued post the latest Update is kept and announced after the Create when a
moderator approves it.

Hooks registered here (server.hooks): a local post published or edited, a remote object
stored or updated.
"""

from __future__ import annotations

import logging
from typing import Any

from activitypub.jsonld import get_id, ids
from activitypub.terms import PUBLIC
from federation.outbox import delivery_targets
from server import hooks
from server.domain.addressing import members_collection
from server.domain.federation_context import Federating
from server.domain.membership import NotAllowed, may_post
from server.domain.post_fields import PostOptions
from server.domain.posts import create_note
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import deliveries as delivery_store
from server.storage import group_federation as group_store
from server.storage import instance_policy
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.neighbourhoods import NeighbourhoodRow
from server.storage.objects import ObjectRow
from server.storage.pool import Connection

log = logging.getLogger(__name__)
AS = "https://www.w3.org/ns/activitystreams"
ANNOUNCED_VISIBILITIES = ("public", "unlisted", "members")
MAX_ADDRESSEES = 100
# An approved post's latest Update (changed while queued) is delivered this much after its
# Create, which deliveries running side by side could otherwise overtake.
QUEUED_UPDATE_DELAY_SECONDS = 5.0


async def post_to_neighbourhood(
    fed: Federating,
    member: ActorRow,
    group: ActorRow,
    content: str,
    *,
    visibility: str = "public",
    in_reply_to: str | None = None,
) -> ObjectRow:
    """A post for `group` (ours or remote): `audience` is the group and the group is in cc
    (visibility "members": addressed to the group's members collection). For our own
    neighbourhoods the posting rights are checked first (NotAllowed); a reply to a post
    locked in a neighbourhood is refused (NotAllowed)."""
    if group.kind != "Group":
        raise ValueError(f"{group.ap_id} is not a neighbourhood")
    if in_reply_to and await group_store.is_locked(fed.pool, in_reply_to):
        raise NotAllowed(f"{in_reply_to} is locked: replies are closed")
    if group.is_local:
        hood = await neighbourhood_store.neighbourhood_by_actor_id(fed.pool, group.id)
        if hood is None:
            raise ValueError(f"{group.ap_id} is not a neighbourhood")
        async with fed.pool.acquire() as conn:
            if await may_post(conn, hood, member) == "refuse":
                raise NotAllowed(f"{member.ap_id} may not post in {group.ap_id}")
    return await create_note(
        fed,
        member,
        content,
        visibility=visibility,
        in_reply_to=in_reply_to,
        extra_cc=[group.ap_id],
        extra_fields={"audience": group.ap_id},
        options=PostOptions(neighbourhood=group.ap_id),
    )


def addressees(obj: dict[str, Any], activity: dict[str, Any]) -> list[str]:
    """Who an object and its activity are addressed to (audience, to, cc), capped."""
    found: dict[str, None] = {}
    for source in (obj, activity):
        for key in ("audience", "to", "cc"):
            for target in ids(source.get(key)):
                found.setdefault(target, None)
    return list(found)[:MAX_ADDRESSEES]


async def groups_for(conn: Connection, obj: dict[str, Any], activity: dict[str, Any]) -> list[NeighbourhoodRow]:
    """Our neighbourhoods a post belongs to: addressed, or replying to one of their posts."""
    groups = await neighbourhood_store.local_groups_among(conn, addressees(obj, activity))
    parent = get_id(obj.get("inReplyTo"))
    if parent and not groups:
        group_ids = await neighbourhood_store.groups_of_object(conn, parent)
        for group_id in group_ids:
            hood = await neighbourhood_store.neighbourhood_by_actor_id(conn, group_id)
            if hood is not None:
                groups.append(hood)
    return groups


def announce_document(
    fed: Federating, group: ActorRow, activity: dict[str, Any], *, members_only: bool = False
) -> dict[str, Any]:
    """Announce{the unchanged activity}, to the public and the group's followers — or, for
    a members-only post, to the group's members collection alone."""
    to, cc = (
        ([members_collection(group.ap_id)], [])
        if members_only
        else ([PUBLIC], [group.followers_url or group.ap_id + "/followers"])
    )
    return {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": "Announce",
        "actor": group.ap_id,
        "object": activity,
        "to": to,
        "cc": cc,
        "audience": group.ap_id,
    }


def is_members_only_for(row: ObjectRow, group_ap_id: str) -> bool:
    """A members-only post whose members collection is this group's."""
    return row.visibility == "members" and members_collection(group_ap_id) in addressees(row.document or {}, {})


async def publish_announce(conn: Connection, fed: Federating, group: ActorRow, announce: dict[str, Any]) -> None:
    """Send a group's Announce: to its followers, or — members-only — to its members' inboxes."""
    if members_collection(group.ap_id) in announce["to"]:
        inboxes = await group_store.member_inboxes(conn, group.id)
        await publish(conn, fed.settings, fed.keyring, group, announce, inboxes=inboxes)
    else:
        await publish(conn, fed.settings, fed.keyring, group, announce, to_followers=True)


async def relay(
    fed: Federating, hood: NeighbourhoodRow, author: ActorRow, row: ObjectRow, activity: dict[str, Any]
) -> str:
    """announced | queued | refused | skipped: what the group did with a member's post."""
    if row.visibility not in ANNOUNCED_VISIBILITIES:
        return "skipped"
    members_only = row.visibility == "members"
    if members_only and not is_members_only_for(row, hood.ap_id):
        return "skipped"  # for the members of another neighbourhood
    async with fed.pool.acquire() as conn, conn.transaction():
        if row.in_reply_to and await group_store.is_locked(conn, row.in_reply_to):
            await instance_policy.log_action(conn, None, "post_refused", row.ap_id, group_id=hood.actor_id)
            return "refused"
        decision = await may_post(conn, hood, author)
        if decision == "refuse":
            await instance_policy.log_action(conn, None, "post_refused", row.ap_id, group_id=hood.actor_id)
            return "refused"
        if decision == "queue":
            known = not await neighbourhood_store.insert_group_post(conn, hood.actor_id, row.id, "queued", activity)
            return "skipped" if known else "queued"
        group = await actor_store.actor_by_id(conn, hood.actor_id)
        assert group is not None
        announce = announce_document(fed, group, activity, members_only=members_only)
        if not await neighbourhood_store.insert_group_post(
            conn, hood.actor_id, row.id, "announced", activity, announce["id"]
        ):
            return "skipped"
        await publish_announce(conn, fed, group, announce)
    return "announced"


async def announce_queued(fed: Federating, group: ActorRow, object_id: int) -> str:
    """Announce a queued post (a moderator approved it): the stored unchanged Create and,
    when the author changed the post while it waited, then their latest Update as kept
    (keep_queued_update), so followers get the current version with both proofs intact."""
    async with fed.pool.acquire() as conn, conn.transaction():
        rows = [r for r in await neighbourhood_store.queued_posts(conn, group.id, 1000) if r.object_id == object_id]
        if not rows or rows[0].activity is None:
            return "not queued"
        post = await object_store.object_by_ap_id(conn, rows[0].object_ap_id)
        members_only = post is not None and is_members_only_for(post, group.ap_id)
        announce = announce_document(fed, group, rows[0].activity, members_only=members_only)
        if not await neighbourhood_store.decide_group_post(
            conn, group.id, object_id, "announced", from_state="queued", announce_id=announce["id"]
        ):
            return "not queued"
        await publish_announce(conn, fed, group, announce)
        if rows[0].queued_update is not None:  # held back a little: each inbox gets the Create first
            update = announce_document(fed, group, rows[0].queued_update, members_only=members_only)
            await publish_announce(conn, fed, group, update)
            await delivery_store.delay_activity_deliveries(conn, update["id"], QUEUED_UPDATE_DELAY_SECONDS)
    return "announced"


async def announcing_groups(conn: Connection, ap_id: str, author: ActorRow | None = None) -> list[ActorRow]:
    """Our neighbourhoods that announced this post (state "announced": not queued, rejected
    or removed). With `author`, only those the author may still post in: the changes of a
    banned member (or one no longer allowed) are not relayed."""
    found = []
    for group_id in await neighbourhood_store.groups_of_object(conn, ap_id):
        post = await neighbourhood_store.group_post(conn, group_id, ap_id)
        group = await actor_store.actor_by_id(conn, group_id) if post and post.state == "announced" else None
        if group is None or not group.is_local:
            continue
        if author is not None:
            hood = await neighbourhood_store.neighbourhood_by_actor_id(conn, group_id)
            if hood is None or await may_post(conn, hood, author) == "refuse":
                log.info("group update refused", extra={"group": group.ap_id, "object": ap_id})
                continue
        found.append(group)
    return found


async def announce_change(
    conn: Connection, fed: Federating, post: ObjectRow, signed: dict[str, Any], groups: list[ActorRow]
) -> None:
    """Each of `groups` (see announcing_groups) announces the author's signed Update or
    Delete of `post` unchanged, as it announced the Create: to its followers, or to its
    members' inboxes for a members-only post."""
    for group in groups:
        announce = announce_document(fed, group, signed, members_only=is_members_only_for(post, group.ap_id))
        await publish_announce(conn, fed, group, announce)


async def announce_update(
    conn: Connection, fed: Federating, post: ObjectRow, signed: dict[str, Any], author: ActorRow
) -> list[ActorRow]:
    """The author's signed Update of `post`: announced unchanged by our neighbourhoods that
    announced the post (announcing_groups, announce_change), and kept where the post still
    waits for a moderator, to be announced after its Create when approved (announce_queued).
    The neighbourhoods that announced it."""
    groups = await announcing_groups(conn, post.ap_id, author)
    await announce_change(conn, fed, post, signed, groups)
    if signed.get("type") == "Update":
        await neighbourhood_store.keep_queued_update(conn, post.ap_id, signed)
    return groups


async def signed_activity(fed: Federating, create: dict[str, Any]) -> dict[str, Any]:
    """The Create as it was sent (with its proof), else as given."""
    stored = await object_store.outgoing_activity_document(fed.pool, str(create.get("id", "")))
    return stored if stored is not None else create


async def deliver_to_remote_groups(fed: Federating, obj: dict[str, Any], create: dict[str, Any]) -> None:
    """A local post addressed to a remote group goes to that group's inbox too."""
    inboxes: list[str] = []
    for target in addressees(obj, create):
        if fed.urls.is_local(target):
            continue
        actor = await actor_store.actor_by_ap_id(fed.pool, target)
        if actor is not None and actor.kind == "Group" and not actor.is_local and actor.gone_at is None:
            inboxes.append(actor.delivery_inbox)
    if inboxes:
        targets = delivery_targets(inboxes, fed.settings.base_url)
        await neighbourhood_store.add_deliveries(
            fed.pool, str(create["id"]), targets, allowlist_only=fed.settings.federation_allowlist_only
        )


async def on_local_post_published(fed: Federating, author: ActorRow, row: ObjectRow, create: dict[str, Any]) -> None:
    obj = row.document or {}
    await deliver_to_remote_groups(fed, obj, create)
    async with fed.pool.acquire() as conn:
        groups = await groups_for(conn, obj, create)
    if not groups:
        return
    activity = await signed_activity(fed, create)
    for hood in groups:
        outcome = await relay(fed, hood, author, row, activity)
        log.debug("group post", extra={"group": hood.ap_id, "object": row.ap_id, "outcome": outcome})


async def on_remote_object_stored(ctx: Any, activity: dict[str, Any], row: ObjectRow) -> None:
    """A remote member's Create addressed to one of our neighbourhoods: relay it as sent."""
    if activity.get("type") != "Create" or get_id(activity.get("object")) != row.ap_id:
        return  # only the author's own Create can be announced unchanged
    if row.actor_id is None or get_id(activity.get("actor")) != row.attributed_to:
        return
    fed = Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)
    async with fed.pool.acquire() as conn:
        groups = await groups_for(conn, row.document or {}, activity)
        author = await actor_store.actor_by_id(conn, row.actor_id) if groups else None
    for hood in groups:
        assert author is not None
        outcome = await relay(fed, hood, author, row, activity)
        log.info("group post", extra={"group": hood.ap_id, "object": row.ap_id, "outcome": outcome})


async def on_local_post_updated(fed: Federating, author: ActorRow, row: ObjectRow, update: dict[str, Any]) -> None:
    """A resident edited a post: a remote neighbourhood it is addressed to gets the Update
    in its inbox, and our neighbourhoods that announced the post announce it."""
    await deliver_to_remote_groups(fed, row.document or {}, update)
    async with fed.pool.acquire() as conn, conn.transaction():
        await announce_update(conn, fed, row, update, author)


async def on_remote_object_updated(ctx: Any, activity: dict[str, Any], row: ObjectRow) -> None:
    """A remote member's own Update of a post (or event) one of our neighbourhoods
    announced: the neighbourhood announces it as received, with its proof."""
    if ctx.depth > 0 or activity.get("type") != "Update" or get_id(activity.get("object")) != row.ap_id:
        return  # relayed by a group (not as the author sent it), or not an Update of this post
    if row.actor_id is None or row.deleted_at is not None or get_id(activity.get("actor")) != row.attributed_to:
        return  # only the author's own Update is announced unchanged
    fed = Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)
    async with fed.pool.acquire() as conn, conn.transaction():
        author = await actor_store.actor_by_id(conn, row.actor_id)
        groups = await announce_update(conn, fed, row, activity, author) if author is not None else []
    for group in groups:
        log.info("group update", extra={"group": group.ap_id, "object": row.ap_id})


if on_local_post_published not in hooks.local_post_published:
    hooks.local_post_published.append(on_local_post_published)
if on_remote_object_stored not in hooks.remote_object_stored:
    hooks.remote_object_stored.append(on_remote_object_stored)
if on_local_post_updated not in hooks.local_post_updated:
    hooks.local_post_updated.append(on_local_post_updated)
if on_remote_object_updated not in hooks.remote_object_updated:
    hooks.remote_object_updated.append(on_remote_object_updated)
