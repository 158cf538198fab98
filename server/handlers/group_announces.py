"""What remote neighbourhoods (Group actors) announce to us, and moderation of posts in
our own neighbourhoods.

Announce from a remote Group (FEP-1b12): the inner activity is believed when
- it carries a valid FEP-8b32 proof by its own actor (a proof that fails refuses it), or
- it was fetched from its own origin (an id-only inner activity is fetched), or
- it comes from the group's own server (the group's signed request speaks for it);
otherwise the inner object is refetched from its origin and only that copy is used. A Lock
or Undo{Lock} by one of our own residents (a moderator of the remote group), announced back
to us by id, is taken from our own outbox as we sent it.
Create/Update are then handled as if the author had sent them, and the post is recorded as
belonging to the group. Announce{Note} (Mobilizon) refetches the object. A post is shown
only when it belongs to the group: the group is its `audience`, in its `to`/`cc`, its
author, or it replies to a post of the group; anything else a group announces is not
shown. Delete/Remove inside an Announce is accepted from the post's author, from a
moderator listed in the group's `attributedTo`, or from the group itself (ours sends its
own Delete for a remote moderator's removal); from anyone else it is ignored.
Like, Dislike and Undo inside an Announce (Lemmy relays its members' votes and their
undoing) are handled as if their own actor had sent them, when believed as above; Lock and
Undo{Lock} are handled by server.handlers.group_moderation; anything else is ignored.

Delete or Remove sent straight to us by a moderator of one of OUR neighbourhoods (or a
Delete by the author) of a post in it: tombstone here, and the group announces the
unchanged activity to its followers (to its members' servers for a members-only post); a
queued post leaves the queue, and nothing is announced for it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activitypub.jsonld import get_id
from activitypub.proofs import proof_verification_method, verify_object
from federation.authorise import activity_type
from federation.dispatch import Handled, Result, Skipped
from server.domain.federation_context import Federating
from server.domain.group_posts import addressees, announce_change
from server.domain.media import remove_files
from server.domain.remote_thread_locks import fetch_group_moderators
from server.handlers.context import Activity, HandlerContext, dispatcher
from server.handlers.delegates import delegate
from server.handlers.group_moderation import announced_lock
from server.handlers.origins import same_origin
from server.storage import actors as actor_store
from server.storage import instance_policy
from server.storage import media as media_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow

POST_TYPES = ("Note", "Article", "Page", "Event", "Question")
RELAYED_REACTIONS = ("Like", "Dislike", "Undo")
MAX_DEPTH = 2


async def proof_status(ctx: HandlerContext, document: dict[str, Any], actor: str) -> bool | None:
    """True: a valid proof by `actor`; False: a proof that fails; None: no proof."""
    method = proof_verification_method(document)
    if method is None:
        return None
    resolved = await ctx.remote.resolve(method)
    if resolved is None or resolved.owner != actor or not isinstance(resolved.public_key, Ed25519PublicKey):
        return False
    return verify_object(document, resolved.public_key).ok


async def inner_activity(ctx: HandlerContext, activity: Activity) -> tuple[dict[str, Any] | None, bool]:
    """(the announced thing, whether it is believed as it stands)."""
    inner = activity.get("object")
    if isinstance(inner, str) and ctx.is_local(inner):
        # our own moderator's Lock (or Undo) of a thread, announced back by the remote
        # group: our outbox has it as we sent it
        own = await object_store.outgoing_activity_document(ctx.pool, inner)
        if own is not None and _is_lock(own):
            return own, True
    if isinstance(inner, str):
        fetched = await ctx.remote.fetch_document(inner)
        if fetched is None or get_id(fetched) != inner:
            return None, False
        actor = get_id(fetched.get("actor")) or get_id(fetched.get("attributedTo")) or ""
        status = await proof_status(ctx, fetched, actor)
        return fetched, status is not False and same_origin(inner, actor)
    if not isinstance(inner, dict) or get_id(inner) is None:
        return None, False
    actor = get_id(inner.get("actor")) or ""
    status = await proof_status(ctx, inner, actor)
    if status is not None:
        return inner, status
    same_server = same_origin(get_id(inner), ctx.sender.ap_id, actor)
    return inner, same_server


def belongs_to(group: ActorRow, obj: dict[str, Any], activity: dict[str, Any], known_parent: bool) -> bool:
    owner = get_id(obj.get("attributedTo")) or get_id(obj.get("actor"))
    return group.ap_id in addressees(obj, activity) or owner == group.ap_id or known_parent


async def _in_group(ctx: HandlerContext, group: ActorRow, object_id: str | None) -> bool:
    return bool(object_id) and group.id in await neighbourhood_store.groups_of_object(ctx.pool, object_id or "")


async def _record(ctx: HandlerContext, group: ActorRow, object_id: str, announce_id: str) -> None:
    row = await object_store.object_by_ap_id(ctx.pool, object_id)
    if row is not None and row.deleted_at is None:
        await neighbourhood_store.insert_group_post(ctx.pool, group.id, row.id, "announced", None, announce_id)


async def _announced_post(ctx: HandlerContext, activity: Activity, inner: dict[str, Any], believed: bool) -> Result:
    author_id = get_id(inner.get("actor"))
    embedded = inner.get("object")
    obj = embedded if believed and isinstance(embedded, dict) else None
    if obj is None:
        obj = await ctx.remote.fetch_document(get_id(embedded) or "")
    if author_id is None or obj is None or get_id(obj) is None:
        return Skipped("announced post could not be read from its origin")
    if (get_id(obj.get("attributedTo")) or get_id(obj.get("actor"))) != author_id:
        return Skipped("announced post is not the activity's actor's own")
    parent = await _in_group(ctx, ctx.sender, get_id(obj.get("inReplyTo")))
    if not belongs_to(ctx.sender, obj, inner, parent):
        return Skipped("a group announced a post not addressed to it: not shown")
    author = await ctx.remote.actor(author_id)
    if author is None:
        return Skipped("author of the announced post is unknown")
    obj = {**obj, "audience": obj.get("audience") or ctx.sender.ap_id}
    result = await dispatcher.dispatch(_as_sender(ctx, author), {**inner, "object": obj})
    await _record(ctx, ctx.sender, obj["id"], activity["id"])
    return result if isinstance(result, Skipped) else Handled(f"group post: {result.detail}")


async def _announced_object(ctx: HandlerContext, activity: Activity, inner: dict[str, Any], believed: bool) -> Result:
    """Mobilizon's Announce{Note}: the object itself, refetched unless it has a valid proof."""
    obj = inner if believed and proof_verification_method(inner) else await ctx.remote.fetch_document(inner["id"])
    if obj is None or get_id(obj) != inner["id"]:
        return Skipped("announced object could not be fetched from its origin")
    owner_id = get_id(obj.get("attributedTo")) or get_id(obj.get("actor"))
    if owner_id is None or not same_origin(owner_id, obj["id"]):
        return Skipped("announced object has no owner on its origin")
    parent = await _in_group(ctx, ctx.sender, get_id(obj.get("inReplyTo")))
    if not belongs_to(ctx.sender, obj, {}, parent):
        return Skipped("a group announced an object not addressed to it: not shown")
    owner = await ctx.remote.actor(owner_id)
    if owner is None:
        return Skipped("owner of the announced object is unknown")
    from server.handlers.content import store_remote_object

    result = await store_remote_object(ctx, owner, {**obj, "audience": obj.get("audience") or ctx.sender.ap_id})
    await _record(ctx, ctx.sender, obj["id"], activity["id"])
    return result


async def remote_moderators(ctx: HandlerContext, group: ActorRow) -> frozenset[str]:
    """The moderators a remote group lists in `attributedTo`, fetched now (none when they
    cannot be had: then no moderation is believed)."""
    return await fetch_group_moderators(ctx.remote, group.ap_id) or frozenset()


async def _announced_removal(ctx: HandlerContext, inner: dict[str, Any], believed: bool) -> Result:
    if not believed:
        return Skipped("announced Delete/Remove could not be verified")
    actor_id, object_id = get_id(inner.get("actor")), get_id(inner.get("object"))
    existing = await object_store.object_by_ap_id(ctx.pool, object_id or "")
    if actor_id is None or existing is None or existing.deleted_at is not None:
        return Skipped("Delete of an object we do not have")
    if actor_id != existing.attributed_to:
        if not await _in_group(ctx, ctx.sender, object_id):
            return Skipped("moderation of a post that is not in the group")
        if actor_id != ctx.sender.ap_id and actor_id not in await remote_moderators(ctx, ctx.sender):
            return Skipped("Delete by someone who is neither the author nor a moderator: ignored")
    await object_store.tombstone_object(ctx.pool, existing.ap_id, existing.attributed_to, existing.actor_id)
    await neighbourhood_store.decide_group_post(ctx.pool, ctx.sender.id, existing.id, "removed", from_state="announced")
    return Handled("removed by the author" if actor_id == existing.attributed_to else "removed by a moderator")


async def _announced_reaction(ctx: HandlerContext, inner: dict[str, Any], believed: bool) -> Result:
    """Announce{Like|Dislike|Undo{…}}: handled as if the inner actor had sent it."""
    if not believed:
        return Skipped("announced activity could not be verified")
    actor_id = get_id(inner.get("actor"))
    if actor_id is None or not same_origin(actor_id, get_id(inner)):
        return Skipped("announced activity is not its actor's own")
    actor = await ctx.remote.actor(actor_id)
    if actor is None or actor.is_local:
        return Skipped("actor of the announced activity is unknown (or ours)")
    return await dispatcher.dispatch(_as_sender(ctx, actor), inner)


def _is_lock(inner: dict[str, Any]) -> bool:
    kind = activity_type(inner)
    embedded = inner.get("object")
    return kind == "Lock" or (kind == "Undo" and isinstance(embedded, dict) and activity_type(embedded) == "Lock")


def _as_sender(ctx: HandlerContext, actor: ActorRow) -> HandlerContext:
    return dataclasses.replace(ctx, sender=actor, depth=ctx.depth + 1)


@delegate("Announce")
async def group_announce(ctx: HandlerContext, activity: Activity) -> Result | None:
    if ctx.sender.kind != "Group" or ctx.sender.is_local:
        return None
    if ctx.depth >= MAX_DEPTH:
        return Skipped("announce nested too deep")
    inner, believed = await inner_activity(ctx, activity)
    if inner is None:
        return Skipped("announced activity could not be read")
    kind = activity_type(inner)
    if kind in ("Create", "Update"):
        return await _announced_post(ctx, activity, inner, believed)
    if kind in ("Delete", "Remove"):
        return await _announced_removal(ctx, inner, believed)
    if _is_lock(inner):
        return await announced_lock(ctx, inner, believed)
    if kind in RELAYED_REACTIONS:
        return await _announced_reaction(ctx, inner, believed)
    if kind in POST_TYPES:
        return await _announced_object(ctx, activity, inner, believed)
    return Skipped(f"a group announced {kind or 'something'}: not handled")


async def _moderate_own_group_post(ctx: HandlerContext, activity: Activity) -> Result | None:
    """A Delete/Remove, sent to us, of a post in one of our neighbourhoods, by its author or
    a moderator there: tombstone, and the group announces the activity as received, as it
    announced the post (announce_change: a members-only post's to its members' servers
    only); a queued post leaves the queue, and nothing is announced for it."""
    object_id = get_id(activity.get("object"))
    existing = await object_store.object_by_ap_id(ctx.pool, object_id or "")
    if existing is None or existing.deleted_at is not None:
        return None
    for group_id in await neighbourhood_store.groups_of_object(ctx.pool, existing.ap_id):
        group = await actor_store.actor_by_id(ctx.pool, group_id)
        if group is None or not group.is_local:
            continue
        member = await membership_store.membership(ctx.pool, group.id, ctx.sender.id)
        is_author = existing.attributed_to == ctx.sender.ap_id
        if not is_author and (member is None or not member.is_moderator):
            continue
        fed = Federating(ctx.pool, ctx.settings, ctx.keyring, ctx.remote)
        async with ctx.pool.acquire() as conn, conn.transaction():
            post = await neighbourhood_store.group_post(conn, group.id, existing.ap_id)
            state = post.state if post is not None else "announced"
            await object_store.tombstone_object(conn, existing.ap_id, existing.attributed_to, existing.actor_id)
            if state in ("announced", "queued"):  # a queued one leaves the queue
                await neighbourhood_store.decide_group_post(conn, group.id, existing.id, "removed", from_state=state)
            if not is_author:
                await instance_policy.log_action(conn, ctx.sender.id, "remove_post", existing.ap_id, group_id=group.id)
            if state == "announced":  # as the post was: to followers, or to members' servers only
                await announce_change(conn, fed, existing, activity, [group])
            files = await media_store.delete_media_of_object(conn, existing.ap_id)
        await remove_files(ctx.settings, files)  # committed: a local post's images go from disk
        return Handled("removed from the neighbourhood and announced")
    return None


@delegate("Delete")
async def delete_in_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    return await _moderate_own_group_post(ctx, activity)


@delegate("Remove")
async def remove_in_group(ctx: HandlerContext, activity: Activity) -> Result | None:
    return await _moderate_own_group_post(ctx, activity)
