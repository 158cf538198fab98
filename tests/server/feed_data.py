"""Test data for the feed tests: public posts and events, and private ones planted next to
them (every other visibility, deleted, queued for moderation, by a suspended actor) whose
text contains SECRET, so any feed that leaks one is caught by a substring check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server.domain.actors import create_local_actor
from server.storage import events as event_store
from server.storage import neighbourhoods as group_store
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage.actors import ActorRow
from server.storage.events import EventFields
from server.storage.objects import ObjectRow
from server.storage.pool import Pool
from server.urls import Urls
from tests.harness import Instance

PRIVATE_VISIBILITIES = ("unlisted", "followers", "members", "direct")
SOON = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)


async def plant_object(
    inst: Instance,
    author: ActorRow,
    *,
    content: str,
    visibility: str = "public",
    kind: str = "Note",
    tags: tuple[str, ...] = (),
    group: ActorRow | None = None,
    group_state: str = "announced",
    published_at: datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> ObjectRow:
    ap_id = Urls(inst.settings).object(uuid.uuid4().hex)
    document: dict[str, Any] = {"id": ap_id, "type": kind, "content": content, "attributedTo": author.ap_id}
    document.update(extra or {})
    if group is not None:
        document["audience"] = group.ap_id
    row = await object_store.insert_object(
        inst.pool,
        {
            "ap_id": ap_id,
            "type": kind,
            "actor_id": author.id,
            "attributed_to": author.ap_id,
            "visibility": visibility,
            "is_local": author.is_local,
            "content": content,
            "document": document,
            "published_at": published_at or datetime.now(UTC),
        },
    )
    assert row is not None
    if tags:
        await tag_store.add_tags(inst.pool, row.id, tags)
    if group is not None:
        await group_store.insert_group_post(inst.pool, group.id, row.id, group_state)
    return row


async def plant_event(
    inst: Instance,
    author: ActorRow,
    *,
    name: str,
    visibility: str = "public",
    starts_at: datetime = SOON,
    group: ActorRow | None = None,
    group_state: str = "announced",
    tags: tuple[str, ...] = (),
    **fields: Any,
) -> ObjectRow:
    row = await plant_object(
        inst,
        author,
        content=f"<p>{name}</p>",
        visibility=visibility,
        kind="Event",
        group=group,
        group_state=group_state,
        tags=tags,
    )
    values: dict[str, Any] = {
        "name": name,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "timezone": "Europe/Amsterdam",
    }
    values.update(fields)
    await event_store.insert_event(inst.pool, row.id, EventFields(**values))
    return row


@dataclass
class World:
    group: ActorRow
    hidden_group: ActorRow
    resident: ActorRow
    public_posts: list[ObjectRow] = field(default_factory=list)
    public_events: list[ObjectRow] = field(default_factory=list)


async def _suspend(pool: Pool, actor: ActorRow) -> None:
    await pool.execute("UPDATE actors SET suspended_at = now() WHERE id = $1", actor.id)


async def _hide(pool: Pool, actor: ActorRow) -> None:
    await pool.execute("UPDATE actors SET discoverable = false WHERE id = $1", actor.id)


async def build_world(inst: Instance) -> World:
    """A public neighbourhood `oosterpark` (area Oost) with a resident `anna`, public posts
    tagged #buurtfeest and public events, and SECRET content planted everywhere."""
    pool, settings = inst.pool, inst.settings
    group = await create_local_actor(pool, settings, kind="Group", username="oosterpark", name="Oosterpark")
    hidden = await create_local_actor(pool, settings, kind="Group", username="geheimpark", name="SECRET park")
    anna = await create_local_actor(pool, settings, kind="Person", username="anna", name="Anna")
    mallory = await create_local_actor(pool, settings, kind="Person", username="mallory", name="Mallory")
    await pool.execute(
        "UPDATE neighbourhoods SET area_name = 'Oost' WHERE actor_id = ANY($1::bigint[])", [group.id, hidden.id]
    )
    await _hide(pool, hidden)
    world = World(group=group, hidden_group=hidden, resident=anna)
    world.public_posts.append(
        await plant_object(inst, group, content="<p>Welkom in de buurt</p>", tags=("buurtfeest",))
    )
    world.public_posts.append(
        await plant_object(inst, anna, content="<p>Soep & <b>brood</b></p>", group=group, tags=("buurtfeest",))
    )
    world.public_events.append(
        await plant_event(
            inst, group, name="Buurtfeest", latitude=52.36, longitude=4.92, place_name="Het Plein", tags=("buurtfeest",)
        )
    )
    for visibility in PRIVATE_VISIBILITIES:
        await plant_object(
            inst, group, content=f"SECRET group {visibility}", visibility=visibility, tags=("buurtfeest",)
        )
        await plant_object(
            inst, anna, content=f"SECRET anna {visibility}", visibility=visibility, group=group, tags=("buurtfeest",)
        )
        await plant_event(
            inst,
            group,
            name=f"SECRET event {visibility}",
            visibility=visibility,
            latitude=52.36,
            longitude=4.92,
            tags=("buurtfeest",),
        )
    deleted = await plant_object(inst, anna, content="SECRET deleted", tags=("buurtfeest",))
    await object_store.tombstone_object(pool, deleted.ap_id, anna.ap_id, anna.id)
    await plant_object(inst, anna, content="SECRET queued for a moderator", group=group, group_state="queued")
    await plant_object(inst, anna, content="SECRET removed by a moderator", group=group, group_state="removed")
    await plant_object(inst, mallory, content="SECRET by a suspended actor", group=group, tags=("buurtfeest",))
    await plant_event(inst, mallory, name="SECRET suspended event", group=group)
    await plant_event(inst, anna, name="SECRET queued event", group=group, group_state="queued")
    await plant_object(inst, hidden, content="SECRET in a hidden neighbourhood", tags=("buurtfeest",))
    await plant_event(inst, hidden, name="SECRET hidden event")
    await _suspend(pool, mallory)
    return world
