"""Key rotation's Update{actor} carries the actor document exactly as GET /actors/{name}
serves it after the rotation — for a neighbourhood with its area (`location`, boundary)."""

from __future__ import annotations

from typing import Any

from server.domain.actors import create_local_actor
from server.domain.keys import rotate_keys
from server.domain.neighbourhoods import create_neighbourhood
from tests.harness import Instance, federating

BOUNDARY = {"type": "Polygon", "coordinates": [[[4.9, 52.3], [4.92, 52.3], [4.92, 52.31], [4.9, 52.3]]]}


async def _served(instance: Instance, ap_id: str) -> dict[str, Any]:
    async with instance.session.get(ap_id, headers={"Accept": "application/activity+json"}) as resp:
        assert resp.status == 200
        document: dict[str, Any] = await resp.json(content_type=None)
    return document


async def _update_sent(instance: Instance, actor_id: int) -> dict[str, Any]:
    document = await instance.pool.fetchval(
        """SELECT document FROM outgoing_activities WHERE actor_id = $1 AND document->>'type' = 'Update'
           ORDER BY id DESC LIMIT 1""",
        actor_id,
    )
    assert document is not None
    return dict(document)


async def test_update_after_key_rotation_is_the_served_document(instance: Instance) -> None:
    fed = federating(instance)
    group = await create_neighbourhood(
        fed, "oosterpark", name="Oosterpark", area_name="Oosterpark, Amsterdam", boundary=BOUNDARY
    )
    resident = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    for actor in (group, resident):
        new_key_id = await rotate_keys(fed, actor)
        update = await _update_sent(instance, actor.id)
        sent = update["object"]
        served = await _served(instance, actor.ap_id)
        assert sent["publicKey"]["id"] == new_key_id
        # the served document, its @context on the Update (which carries it) instead
        assert update["@context"] == served["@context"]
        assert sent == {k: v for k, v in served.items() if k != "@context"}
    assert sent.get("location") is None  # a resident has no area
    group_update = (await _update_sent(instance, group.id))["object"]
    assert group_update["location"] == {"type": "Place", "name": "Oosterpark, Amsterdam", "boundary": BOUNDARY}
