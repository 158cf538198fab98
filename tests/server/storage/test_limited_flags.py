"""The `actors.on_limited_domain` flag (migration 0022) follows the domain blocks: set for
remote actors on a limited domain or under it (port ignored), never for local actors or
for a domain that merely ends with the same letters, and updated when a block is added,
changed to suspend or lifted."""

from __future__ import annotations

from server.storage import actors as actor_store
from server.storage import instance_policy, moderation_views
from server.storage.actors import ActorRow
from tests.harness import Instance


async def remote(inst: Instance, name: str, domain: str) -> ActorRow:
    """A stored remote Person `name` on `domain` (a host, maybe with a port)."""
    return await actor_store.upsert_remote_actor(
        inst.pool,
        {
            "ap_id": f"https://{domain}/users/{name}",
            "kind": "Person",
            "is_local": False,
            "username": name,
            "domain": domain,
            "name": name.capitalize(),
            "inbox_url": f"https://{domain}/users/{name}/inbox",
        },
    )


async def test_flag_follows_blocks_and_new_actors(instance: Instance) -> None:
    pool = instance.pool
    before = await remote(instance, "ann", "Limited.Example")
    other = await remote(instance, "bob", "notlimited.example")
    await instance_policy.set_domain_block(pool, "limited.example", "limit")
    later = await remote(instance, "cor", "a.b.limited.example:8443")
    ids = [before.id, other.id, later.id]
    assert await instance_policy.limited_among(pool, ids) == {before.id, later.id}

    await instance_policy.set_domain_block(pool, "limited.example", "suspend")
    assert await instance_policy.limited_among(pool, ids) == set()
    await instance_policy.set_domain_block(pool, "b.limited.example", "limit")
    assert await instance_policy.limited_among(pool, ids) == {later.id}
    await instance_policy.set_domain_block(pool, "limited.example", "limit")
    assert await moderation_views.remove_domain_block(pool, "b.limited.example")
    assert await instance_policy.limited_among(pool, ids) == {before.id, later.id}  # the parent still limits
    assert await moderation_views.remove_domain_block(pool, "limited.example")
    assert await instance_policy.limited_among(pool, ids) == set()
