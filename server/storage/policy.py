"""SQL for instance-level blocks: domains and actors refused by this server."""

from __future__ import annotations

from server.storage.actors import Db


async def is_blocked(db: Db, actor_ap_id: str, host: str) -> bool:
    """True when the actor's domain (or a parent domain) or the actor itself is blocked
    by the instance (the instance actor's block list)."""
    labels = host.split(".")
    candidates = [".".join(labels[i:]) for i in range(len(labels))]
    value = await db.fetchval(
        """SELECT EXISTS (SELECT 1 FROM domain_blocks WHERE domain = ANY($1::text[]))
               OR EXISTS (SELECT 1 FROM actor_blocks b
                          JOIN actors blocker ON blocker.id = b.blocker_id
                          JOIN actors blocked ON blocked.id = b.blocked_id
                          WHERE blocker.kind = 'Application' AND blocker.is_local
                            AND blocked.ap_id = $2)""",
        candidates,
        actor_ap_id,
    )
    return bool(value)


async def block_domain(db: Db, domain: str, reason: str = "") -> None:
    await db.execute(
        "INSERT INTO domain_blocks (domain, reason) VALUES (lower($1), $2) ON CONFLICT DO NOTHING",
        domain,
        reason,
    )


async def unblock_domain(db: Db, domain: str) -> None:
    await db.execute("DELETE FROM domain_blocks WHERE domain = lower($1)", domain)
