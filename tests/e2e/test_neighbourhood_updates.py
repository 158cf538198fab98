"""Changes to posts and events held in a neighbourhood, across three real instances: a
member on B edits a post and changes an event held in A's neighbourhood; A's neighbourhood
announces the member's signed Update unchanged and a follower of the neighbourhood on C
(who does not follow the member) gets the new version; a resident of A's edit reaches C
the same way."""

from __future__ import annotations

from dataclasses import replace

from server.domain import events, membership
from server.domain.actors import create_local_actor
from server.domain.group_posts import post_to_neighbourhood
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.posts import edit_note
from server.storage import events as event_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage import objects as object_store
from tests.e2e.test_events import _follow
from tests.e2e.test_neighbourhood_events import _fields, _in_group_on
from tests.e2e.test_neighbourhoods import _remote, _state_is
from tests.harness import Instance, federating, wait_for


async def _post_in_group_on(inst: Instance, group_ap_id: str, ap_id: str) -> bool:
    """The post is stored on `inst` and recorded as the group's."""
    group = await _remote(inst, group_ap_id)
    row = await object_store.object_by_ap_id(inst.pool, ap_id)
    return row is not None and group.id in await neighbourhood_store.groups_of_object(inst.pool, ap_id)


async def _content_on(inst: Instance, ap_id: str, content: str) -> bool:
    row = await object_store.object_by_ap_id(inst.pool, ap_id)
    return row is not None and row.content == content


async def _event_on(inst: Instance, ap_id: str, name: str, status: str) -> bool:
    event = await event_store.event_by_ap_id(inst.pool, ap_id)
    return event is not None and event.fields.name == name and event.fields.status == status


async def test_a_members_updates_reach_the_neighbourhoods_followers(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, c = three_instances
    anna = await create_local_actor(a.pool, a.settings, kind="Person", username="anna")
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    carol = await create_local_actor(c.pool, c.settings, kind="Person", username="carol")
    group = await create_neighbourhood(federating(a), "oosterpark", founder=anna, name="Oosterpark")
    group_on_b = await _remote(b, group.ap_id)
    assert await membership.join(federating(b), bob, group_on_b, via="Join") == "pending"
    assert await wait_for(lambda: _state_is(b, group.ap_id, bob.ap_id, "accepted"))
    await _follow(c, carol, group.ap_id)  # carol follows the neighbourhood, not bob

    # bob posts in the neighbourhood and holds an event there: both reach C via A's group
    post = await post_to_neighbourhood(federating(b), bob, group_on_b, "Wie heeft mijn kat gezien?")
    fields = _fields("Buurtborrel")
    held = await events.create_event(federating(b), bob, fields, "<p>Kom!</p>", neighbourhood=group_on_b)
    assert await wait_for(lambda: _post_in_group_on(c, group.ap_id, post.ap_id))
    assert await wait_for(lambda: _in_group_on(c, group.ap_id, held.ap_id))

    # bob edits the post and renames, then cancels, the event: C gets each new version
    await edit_note(federating(b), bob, post.ap_id, "<p>Kat gevonden, dank jullie!</p>")
    assert await wait_for(lambda: _content_on(c, post.ap_id, "<p>Kat gevonden, dank jullie!</p>"))
    await events.update_event(federating(b), bob, held.ap_id, replace(fields, name="Grote buurtborrel"))
    assert await wait_for(lambda: _event_on(c, held.ap_id, "Grote buurtborrel", "scheduled"))
    await events.cancel_event(federating(b), bob, held.ap_id)
    assert await wait_for(lambda: _event_on(c, held.ap_id, "Grote buurtborrel", "cancelled"))
    assert await _event_on(a, held.ap_id, "Grote buurtborrel", "cancelled")

    # a resident of A edits her post in her own neighbourhood: C gets it as well
    own = await post_to_neighbourhood(federating(a), anna, group, "Vuilnis staat buiten")
    assert await wait_for(lambda: _post_in_group_on(c, group.ap_id, own.ap_id))
    await edit_note(federating(a), anna, own.ap_id, "<p>Vuilnis is opgehaald</p>")
    assert await wait_for(lambda: _content_on(c, own.ap_id, "<p>Vuilnis is opgehaald</p>"))
