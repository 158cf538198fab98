"""A resident edits a post held in a neighbourhood: our neighbourhood that announced it
announces the signed Update unchanged (to its followers; a members-only post to its
members collection), not while the post waits for a moderator; a remote neighbourhood the
post is addressed to gets the Update in its inbox. On one real instance."""

from __future__ import annotations

from typing import Any

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import edit_note
from tests.harness import Instance, federating
from tests.scripted_peer import scripted_peer

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _update_of(inst: Instance, object_ap_id: str) -> dict[str, Any]:
    value = await inst.pool.fetchval(
        """SELECT document FROM outgoing_activities
           WHERE document ->> 'type' = 'Update' AND document -> 'object' ->> 'id' = $1""",
        object_ap_id,
    )
    assert value is not None
    return dict(value)


async def _announces_of(inst: Instance, activity_id: str) -> list[dict[str, Any]]:
    rows = await inst.pool.fetch(
        """SELECT document FROM outgoing_activities
           WHERE document ->> 'type' = 'Announce' AND document -> 'object' ->> 'id' = $1""",
        activity_id,
    )
    return [dict(r["document"]) for r in rows]


async def test_a_residents_edit_of_a_post_in_a_neighbourhood_is_announced(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "oost", founder=anna, name="Oost")
    await membership.join(fed, bert, group)
    public = await post_to_neighbourhood(fed, bert, group, "Kat kwijt")
    members = await post_to_neighbourhood(fed, bert, group, "Alleen voor de buurt", visibility="members")

    await edit_note(fed, bert, public.ap_id, "<p>Kat gevonden!</p>")
    update = await _update_of(instance, public.ap_id)
    [announce] = await _announces_of(instance, update["id"])
    assert announce["object"] == update and "proof" in update  # bert's signed Update, unchanged
    assert announce["actor"] == group.ap_id and announce["audience"] == group.ap_id
    assert announce["to"] == [PUBLIC] and announce["cc"] == [group.followers_url]

    await edit_note(fed, bert, members.ap_id, "<p>Nog steeds alleen voor de buurt</p>")
    update = await _update_of(instance, members.ap_id)
    [announce] = await _announces_of(instance, update["id"])
    assert announce["to"] == [group.ap_id + "/members"] and announce["cc"] == []


async def test_an_edit_of_a_queued_post_is_not_announced(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    group = await create_neighbourhood(fed, "stil", founder=anna, name="Stil", posting_mode="moderated")
    await membership.join(fed, bert, group)
    post = await post_to_neighbourhood(fed, bert, group, "Wacht op goedkeuring")
    await edit_note(fed, bert, post.ap_id, "<p>Nog steeds wachten</p>")
    assert await _announces_of(instance, (await _update_of(instance, post.ap_id))["id"]) == []


async def test_an_edit_of_a_post_in_a_remote_neighbourhood_goes_to_its_inbox(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    async with scripted_peer() as peer:
        remote = peer.make_actor("buurt", kind="Group")
        group = await fed.remote.actor(remote.ap_id)
        assert group is not None
        post = await post_to_neighbourhood(fed, anna, group, "Hallo buren")
        await edit_note(fed, anna, post.ap_id, "<p>Hallo allemaal</p>")
        update = await _update_of(instance, post.ap_id)
        inboxes = await instance.pool.fetch(
            """SELECT d.inbox_url FROM deliveries d JOIN outgoing_activities o ON o.id = d.activity_id
               WHERE o.ap_id = $1""",
            update["id"],
        )
    assert remote.ap_id + "/inbox" in [r["inbox_url"] for r in inboxes]
