"""Who may read an object: the one SQL predicate every read path of posts uses.

An object is visible when it is not deleted and is public or unlisted, or — for a known
viewer — when the viewer wrote it, is one of its recorded recipients (`object_recipients`:
direct posts, mentions), follows its author (accepted) and it is followers-only, or is an
accepted member (table memberships, migration 0002) of the neighbourhood a members-only
post is for (its `audience`). Anonymous viewers (NULL) see public and unlisted only.
"""

from __future__ import annotations

from dataclasses import fields

from server.storage.objects import ObjectRow

OBJECT_FIELDS = tuple(f.name for f in fields(ObjectRow))


def object_columns(alias: str) -> str:
    """`alias.id, alias.ap_id, …`: the columns an ObjectRow is built from."""
    return ", ".join(f"{alias}.{name}" for name in OBJECT_FIELDS)


def visible_to(alias: str, viewer: str) -> str:
    """SQL: the object `alias` may be read by the actor id in parameter `viewer` ($n)."""
    return f"""({alias}.deleted_at IS NULL AND (
        {alias}.visibility IN ('public', 'unlisted')
        OR ({viewer}::bigint IS NOT NULL AND (
            {alias}.actor_id = {viewer}::bigint
            OR EXISTS (SELECT 1 FROM object_recipients vis_r
                       WHERE vis_r.object_id = {alias}.id AND vis_r.actor_id = {viewer}::bigint)
            OR ({alias}.visibility = 'followers' AND EXISTS (
                SELECT 1 FROM follows vis_f
                WHERE vis_f.follower_id = {viewer}::bigint AND vis_f.followed_id = {alias}.actor_id
                  AND vis_f.state = 'accepted'))
            OR ({alias}.visibility = 'members' AND EXISTS (
                SELECT 1 FROM memberships vis_m JOIN actors vis_g ON vis_g.id = vis_m.group_id
                WHERE vis_m.member_id = {viewer}::bigint AND vis_m.state = 'accepted'
                  AND vis_g.ap_id = {alias}.document ->> 'audience'))))))"""


def not_blocked_by(alias: str, viewer: str) -> str:
    """SQL: the author of `alias` is not blocked by the viewer."""
    return f"""NOT EXISTS (SELECT 1 FROM actor_blocks vis_b
                   WHERE vis_b.blocker_id = {viewer}::bigint AND vis_b.blocked_id = {alias}.actor_id)"""


def limited_author(alias: str) -> str:
    """SQL: the author of object `alias` is a remote actor on a limited domain (or a
    subdomain of one).

    This reads `actors.on_limited_domain`, a flag that triggers keep (migration 0022: when
    an actor is stored, and for the actors under a domain whenever a block on it is added,
    changed or lifted), rather than matching each row's host against domain_blocks by
    suffix in the listing itself. Suffix matching cannot use an index, and the planner
    turns such a NOT EXISTS into an anti-join that first matches every actor against every
    `limit` block: a 20-row tag page went from 0.08 to 82 ms with 300 actors and 100
    blocks. With the flag the anti-join reads a partial index holding only the limited
    actors, and no listing got measurably slower (docs/performance.md, "Hiding limited
    domains")."""
    return f"""EXISTS (SELECT 1 FROM actors lim_a WHERE lim_a.id = {alias}.actor_id AND lim_a.on_limited_domain)"""


def limited_hidden_from(alias: str, viewer: str) -> str:
    """SQL: `alias` is by an actor on a limited domain and the viewer (parameter `viewer`,
    NULL for anonymous) is neither its author nor an accepted follower of the author."""
    return f"""({limited_author(alias)} AND ({viewer}::bigint IS NULL OR (
                   {alias}.actor_id <> {viewer}::bigint AND NOT EXISTS (
                       SELECT 1 FROM follows lim_f WHERE lim_f.follower_id = {viewer}::bigint
                         AND lim_f.followed_id = {alias}.actor_id AND lim_f.state = 'accepted'))))"""


def approved_in(alias: str, group: str) -> str:
    """SQL: a moderator approved `alias` from the queue of the neighbourhood whose actor id
    is `group` (an expression), and it is still announced there (group_posts.approved,
    migration 0023). Such an approval overrides a *limited* domain for that post in that
    neighbourhood's own lists."""
    return f"""EXISTS (SELECT 1 FROM group_posts lim_g WHERE lim_g.group_id = {group}
                   AND lim_g.object_id = {alias}.id AND lim_g.state = 'announced' AND lim_g.approved)"""


def approved_for_follower(alias: str, viewer: str) -> str:
    """SQL: a moderator approved `alias` into a neighbourhood the viewer (parameter
    `viewer`) follows (accepted), and it is still announced there. The home timeline shows
    such a post by an actor on a *limited* domain to the neighbourhood's followers."""
    return f"""({viewer}::bigint IS NOT NULL AND EXISTS (
                   SELECT 1 FROM group_posts lim_g JOIN follows lim_gf ON lim_gf.followed_id = lim_g.group_id
                   WHERE lim_g.object_id = {alias}.id AND lim_g.state = 'announced' AND lim_g.approved
                     AND lim_gf.follower_id = {viewer}::bigint AND lim_gf.state = 'accepted'))"""
