"""Moderation. Residents report posts (Flag, optionally forwarded to the origin server
from the instance actor, so the reporter stays anonymous there). A neighbourhood's
moderators approve queued posts, remove posts (local tombstone + their own signed Delete,
announced by the group as it announced the post, FEP-1b12: to its followers, a
members-only post's to its members' servers only), and remove or ban members. Instance
admins block domains (suspend | limit; a suspension also ends what we have with the
domain), keep the allowlist of allowlist-only federation and suspend actors. Everything
is written to the moderation log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from activitypub.terms import PUBLIC
from server.config import Settings
from server.domain.addressing import members_collection
from server.domain.content_notifications import notify_report
from server.domain.federation_context import Federating
from server.domain.group_posts import announce_change, announce_document, announce_queued
from server.domain.media import remove_files
from server.domain.membership import NotAllowed, require_moderator
from server.domain.publish import new_activity_id, publish
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage import instance_policy
from server.storage import media as media_store
from server.storage import memberships as membership_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from server.storage.actors import ActorRow
from server.storage.neighbourhoods import GroupPostRow
from server.storage.objects import ObjectRow
from server.storage.pool import Connection, Pool
from server.urls import INSTANCE_ACTOR_USERNAME

log = logging.getLogger(__name__)
AS = "https://www.w3.org/ns/activitystreams"
MAX_REPORT = 5000
MAX_TARGETS = 20


async def report(
    fed: Federating,
    reporter: ActorRow,
    object_ids: list[str],
    content: str,
    *,
    group: ActorRow | None = None,
    forward: bool = False,
) -> str:
    """A resident reports posts to our moderators (and, in a group, its moderators); with
    `forward`, the author's server gets a Flag from our instance actor. Returns the id."""
    targets = list(dict.fromkeys(object_ids))[:MAX_TARGETS]
    if not targets:
        raise ValueError("a report names at least one post")
    text = content[:MAX_REPORT]
    report_id = new_activity_id(fed.settings)
    known = [row for row in [await object_store.object_by_ap_id(fed.pool, t) for t in targets] if row is not None]
    by_author: dict[str, list[str]] = {}
    for row in known:
        if not row.is_local:
            by_author.setdefault(row.attributed_to, []).append(row.ap_id)
    async with fed.pool.acquire() as conn, conn.transaction():
        forwarded_to = None
        if forward and by_author:
            forwarded_to = await _forward_flag(fed, conn, by_author, text)
        await instance_policy.insert_report(
            conn,
            report_id,
            reporter.id,
            targets,
            text,
            group_id=group.id if group else None,
            forwarded_to=forwarded_to,
        )
        await notify_report(conn, reporter.id, targets, group.id if group else None)
    return report_id


async def _forward_flag(fed: Federating, conn: Connection, by_author: dict[str, list[str]], text: str) -> str:
    """Flag{[author, their posts…]} from the instance actor to each author's inbox
    (Mastodon's shape); returns the inboxes, space separated."""
    instance = await actor_store.local_actor(conn, INSTANCE_ACTOR_USERNAME)
    if instance is None:
        raise RuntimeError("the instance actor is missing")
    inboxes: list[str] = []
    for author_id, posts in sorted(by_author.items()):
        author = await actor_store.actor_by_ap_id(conn, author_id)
        if author is None:
            continue
        flag = {
            "@context": AS,
            "id": new_activity_id(fed.settings),
            "type": "Flag",
            "actor": instance.ap_id,
            "object": [author.ap_id, *posts],
            "content": text,
            "to": [author.ap_id],
        }
        await publish(conn, fed.settings, fed.keyring, instance, flag, inboxes=[author.delivery_inbox])
        inboxes.append(author.delivery_inbox)
    return " ".join(inboxes)


async def remove_post(
    fed: Federating, moderator: ActorRow, group: ActorRow, object_ap_id: str, reason: str = ""
) -> bool:
    """A moderator removes a post of the neighbourhood: tombstone here; the moderator's
    signed Delete goes to the author's server and, announced by the group, to its followers.
    The post's images (a local post's media) go too: rows in the transaction, files after."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        post = await neighbourhood_store.group_post(conn, group.id, object_ap_id)
        if post is None or post.state == "removed":
            return False
        files = await _remove_group_post(conn, fed, moderator, group, post, reason)
    if files is None:
        return False
    await remove_files(fed.settings, files)  # committed: the images go from disk
    return True


async def _remove_group_post(
    conn: Connection, fed: Federating, moderator: ActorRow, group: ActorRow, post: GroupPostRow, reason: str
) -> list[str] | None:
    """Tombstone, mark removed, log, forget the media rows (their files, returned, go once
    committed) and federate an announced post's removal; None when it was decided already."""
    if not await neighbourhood_store.decide_group_post(
        conn, group.id, post.object_id, "removed", from_state=post.state
    ):
        return None
    before = await object_store.object_by_ap_id(conn, post.object_ap_id)  # its addressing, before the tombstone
    await object_store.tombstone_object(conn, post.object_ap_id, post.author_ap_id, None)
    await instance_policy.log_action(
        conn, moderator.id, "remove_post", post.object_ap_id, group_id=group.id, reason=reason
    )
    files = await media_store.delete_media_of_object(conn, post.object_ap_id)
    if post.state == "announced":
        await _federate_removal(conn, fed, moderator, group, post, before, reason)
    return files


MAX_POSTS_REMOVED_WITH_BAN = 1000


async def remove_member_posts(
    fed: Federating,
    moderator: ActorRow,
    group: ActorRow,
    member: ActorRow,
    reason: str = "",
    *,
    limit: int = MAX_POSTS_REMOVED_WITH_BAN,
) -> int:
    """Lemmy's `removeData` with a ban: the member's newest `limit` queued or announced
    posts in the neighbourhood (replies and events too) are removed one by one as
    `remove_post` removes a post (a remote moderator's Delete is the group's own: we
    cannot sign for them). How many were removed."""
    async with fed.pool.acquire() as conn:
        await require_moderator(conn, group, moderator)
        posts = await neighbourhood_store.posts_of_author(conn, group.id, member.ap_id, limit)
    removed = 0
    for post in posts:
        async with fed.pool.acquire() as conn, conn.transaction():
            files = await _remove_group_post(conn, fed, moderator, group, post, reason)
        if files is not None:
            await remove_files(fed.settings, files)
            removed += 1
    log.info(
        "a banned member's posts removed from the neighbourhood",
        extra={"group": group.ap_id, "member": member.ap_id, "removed": removed, "limit": limit},
    )
    return removed


MAX_REASON = 500


def moderator_activity(
    fed: Federating, kind: str, moderator: ActorRow, group: ActorRow, object_ap_id: str, reason: str
) -> dict[str, Any]:
    """A moderator's activity on an object in a neighbourhood (FEP-1b12: public, addressed
    to the group, with `audience`), the reason as `summary`: Delete, Lock."""
    activity: dict[str, Any] = {
        "@context": AS,
        "id": new_activity_id(fed.settings),
        "type": kind,
        "actor": moderator.ap_id,
        "object": object_ap_id,
        "to": [PUBLIC],
        "cc": [group.ap_id],
        "audience": group.ap_id,
    }
    if reason:
        activity["summary"] = reason[:MAX_REASON]
    return activity


async def _federate_removal(
    conn: Connection,
    fed: Federating,
    moderator: ActorRow,
    group: ActorRow,
    post: GroupPostRow,
    before: ObjectRow | None,
    reason: str,
) -> None:
    """The moderator's signed Delete (a remote moderator's: the group's own) to the
    author's server, announced by the group as it announced the post (announce_change): to
    its followers, or for a members-only post (`before`: the post as it was) to its
    members' servers only."""
    author = await actor_store.actor_by_ap_id(conn, post.author_ap_id)
    signer = moderator if moderator.is_local else group
    delete = moderator_activity(fed, "Delete", signer, group, post.object_ap_id, reason)
    inboxes = [author.inbox_url] if author is not None and not author.is_local else []
    signed = await publish(conn, fed.settings, fed.keyring, signer, delete, inboxes=inboxes)
    if before is not None:
        await announce_change(conn, fed, before, signed, [group])
    else:  # nothing known of its addressing: as before, to the followers
        await publish(conn, fed.settings, fed.keyring, group, announce_document(fed, group, signed), to_followers=True)


async def decide_queued_post(
    fed: Federating, moderator: ActorRow, group: ActorRow, object_ap_id: str, *, approve: bool
) -> str:
    """A moderator approves (announce) or rejects a post queued in a moderated neighbourhood."""
    async with fed.pool.acquire() as conn:
        await require_moderator(conn, group, moderator)
        post = await neighbourhood_store.group_post(conn, group.id, object_ap_id)
    if post is None or post.state != "queued":
        return "not queued"
    if approve:
        outcome = await announce_queued(fed, group, post.object_id)
    else:
        changed = await neighbourhood_store.decide_group_post(
            fed.pool, group.id, post.object_id, "rejected", from_state="queued"
        )
        outcome = "rejected" if changed else "not queued"
    await instance_policy.log_action(
        fed.pool, moderator.id, f"post_{outcome.replace(' ', '_')}", object_ap_id, group_id=group.id
    )
    return outcome


async def remove_member(
    fed: Federating,
    moderator: ActorRow,
    group: ActorRow,
    member: ActorRow,
    *,
    ban: bool = False,
    reason: str = "",
    until: datetime | None = None,
    remove_data: bool = False,
) -> bool:
    """End a membership and its subscription; with `ban`, later requests are refused (until
    `until`, when given: server.domain.ban_lift ends it then) and a remote member's server
    gets Block{member} from the group (ending the follow there; with Lemmy's `endTime` and
    `expires` when the ban ends); without, it gets Remove{member, target: the members
    collection, origin: the group}. A ban with `remove_data` (Lemmy's `removeData`, also
    set on the Block) then removes the member's posts here with `remove_member_posts`."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_moderator(conn, group, moderator)
        if member.id == moderator.id:
            raise NotAllowed("a moderator cannot remove themselves; leave instead")
        if ban:
            await membership_store.ban(conn, group.id, member.id, until)
            changed = True
        else:
            changed = await membership_store.delete_membership(conn, group.id, member.id)
        await follow_store.delete_follow(conn, member.id, group.id)
        action = "ban_member" if ban else "remove_member"
        await instance_policy.log_action(conn, moderator.id, action, member.ap_id, group_id=group.id, reason=reason)
        if ban and not member.is_local:
            block: dict[str, Any] = {
                "@context": AS,
                "id": new_activity_id(fed.settings),
                "type": "Block",
                "actor": group.ap_id,
                "object": member.ap_id,
                "to": [member.ap_id],
            }
            if until is not None:
                block["endTime"] = block["expires"] = until.astimezone(UTC).isoformat().replace("+00:00", "Z")
            if remove_data:
                block["removeData"] = True
            await publish(conn, fed.settings, fed.keyring, group, block, inboxes=[member.inbox_url])
        elif changed and not member.is_local:
            removal = {
                "@context": AS,
                "id": new_activity_id(fed.settings),
                "type": "Remove",
                "actor": group.ap_id,
                "object": member.ap_id,
                "target": members_collection(group.ap_id),
                "origin": group.ap_id,
                "to": [member.ap_id],
            }
            await publish(conn, fed.settings, fed.keyring, group, removal, inboxes=[member.inbox_url])
    if ban and remove_data:
        await remove_member_posts(fed, moderator, group, member, reason)
    return changed


async def require_admin(conn: Connection, admin: ActorRow) -> None:
    if not admin.is_local or not await instance_policy.is_instance_admin(conn, admin.id):
        raise NotAllowed(f"{admin.ap_id} is not an instance admin")


async def block_domain(fed: Federating, admin: ActorRow, domain: str, severity: str, reason: str = "") -> None:
    """suspend: nothing from the domain (or its subdomains) is accepted and nothing goes
    there: queued deliveries to it end (failed, "domain suspended"), follows in both
    directions and memberships with its actors end, without anything being sent to it;
    limit: joins from there wait for a moderator and its posts to neighbourhoods are
    queued (it still gets our deliveries)."""
    domain = domain.strip().lower()
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_admin(conn, admin)
        await instance_policy.set_domain_block(conn, domain, severity, reason)
        note = reason
        if severity == "suspend":
            dropped = await instance_policy.drop_queued_deliveries(conn, domain, "domain suspended")
            ended = await instance_policy.end_relations_with_domain(conn, domain)
            note = (
                f"{reason} (ended: {dropped} queued deliveries, {ended['follows']} follows, "
                f"{ended['memberships']} memberships, {ended['area_follows']} area follows)"
            ).strip()
        await instance_policy.log_action(conn, admin.id, f"domain_{severity}", domain, reason=note)
    fed.remote.domain_policy_changed()


async def set_domain_allowed(fed: Federating, admin: ActorRow, domain: str, allowed: bool, note: str = "") -> None:
    """Keep the allowlist used when federation_allowlist_only is on. In that mode, removing
    an entry ends what we have with the hosts under it that no other entry (a parent
    domain still on the list, or a subdomain's own entry) keeps allowed, as a suspension
    does: their queued deliveries end (failed, "domain not on the allowlist"), follows in
    both directions, memberships and area follows end, without anything being sent.
    With the mode off, the allowlist is not used and a removal changes nothing else."""
    domain = domain.strip().lower()
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_admin(conn, admin)
        reason = note if not allowed else ""
        if allowed:
            await instance_policy.allow_domain(conn, domain, note)
        elif await instance_policy.disallow_domain(conn, domain) and fed.settings.federation_allowlist_only:
            ended = await _end_not_allowed(conn, domain)
            reason = f"{note} ({_ended_note(ended)})".strip()
        await instance_policy.log_action(
            conn, admin.id, "domain_allow" if allowed else "domain_disallow", domain, reason=reason
        )
    fed.remote.domain_policy_changed()


async def _end_not_allowed(conn: Connection, domain: str | None, own_host: str = "") -> dict[str, int]:
    """End what we have with the hosts under `domain` (None: any host) that no entry of
    the allowlist allows: queued deliveries, follows, memberships, area follows."""
    dropped = await instance_policy.drop_queued_deliveries(
        conn, domain, "domain not on the allowlist", unless_allowed=True, own_host=own_host
    )
    ended = await instance_policy.end_relations_with_domain(conn, domain, unless_allowed=True, own_host=own_host)
    return {"deliveries": dropped, **ended}


def _ended_note(ended: dict[str, int]) -> str:
    return (
        f"ended: {ended['deliveries']} queued deliveries, {ended['follows']} follows, "
        f"{ended['memberships']} memberships, {ended['area_follows']} area follows"
    )


async def apply_allowlist_mode(pool: Pool, settings: Settings) -> dict[str, int] | None:
    """At every start: when allowlist-only mode is on now and was off at the last start
    (or has never been seen on), end what we have with every host that no entry of the
    allowlist allows, as removing its entry does (our own host is always allowed), and
    log it; the counts, or None when there was nothing to do (the usual case: one
    single-row UPDATE). Processes that start together wait for the first one, which does
    the work once. With the mode off, it is only recorded, so turning it on again later
    ends the relations made meanwhile."""
    on = settings.federation_allowlist_only
    async with pool.acquire() as conn, conn.transaction():
        if not await instance_policy.note_allowlist_mode(conn, on):
            return None
        own_host = instance_policy.refusal_domains(settings.domain)[0]
        ended = await _end_not_allowed(conn, None, own_host)
        await instance_policy.log_action(
            conn, None, "allowlist_only_on", "federation_allowlist_only", reason=_ended_note(ended)
        )
    log.info("allowlist-only mode turned on: relations with domains not on the allowlist ended", extra=ended)
    return ended


async def suspend_actor(
    fed: Federating, admin: ActorRow, target: ActorRow, *, suspended: bool = True, reason: str = ""
) -> None:
    """A suspended remote actor is refused at the inbox and loses its follows here; a
    suspended local actor can no longer post to neighbourhoods or moderate."""
    async with fed.pool.acquire() as conn, conn.transaction():
        await require_admin(conn, admin)
        if target.id == admin.id:
            raise NotAllowed("an admin cannot suspend themselves")
        await instance_policy.set_suspended(conn, target.id, suspended)
        if suspended and not target.is_local:
            await follow_store.delete_all_follows_of(conn, target.id)
        await instance_policy.log_action(
            conn, admin.id, "suspend" if suspended else "unsuspend", target.ap_id, reason=reason
        )
