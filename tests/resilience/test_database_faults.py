"""When PostgreSQL goes away the inbox answers 503 with Retry-After (never 202 without a
commit), and when it comes back the pool reconnects and nothing was lost."""

from __future__ import annotations

import orjson

from server.storage import inbox as inbox_store
from server.storage.pool import connect
from tests.harness import Instance, with_database
from tests.scripted_peer import AS, scripted_peer


async def set_database_open(inst: Instance, is_open: bool) -> None:
    name = inst.dsn.rsplit("/", 1)[1].split("?")[0]
    admin = await connect(with_database(inst.dsn, "postgres"))
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(is_open).lower()}')
        if not is_open:
            await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
    finally:
        await admin.close()


async def test_inbox_answers_503_while_the_database_is_away(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")

        def signed(text: str) -> tuple[bytes, dict[str, str]]:
            body = orjson.dumps(
                {
                    "@context": AS,
                    "id": peer.activity_id(),
                    "type": "Create",
                    "actor": actor.ap_id,
                    "to": [f"{AS}#Public"],
                    "object": {
                        "id": f"{peer.base}/notes/{text}",
                        "type": "Note",
                        "attributedTo": actor.ap_id,
                        "content": text,
                    },
                }
            )
            return body, peer.signed_headers(actor, instance.url("/inbox"), body)

        body, headers = signed("first")
        async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
            assert resp.status == 202  # caches the key while the database is there
        await set_database_open(instance, False)
        try:
            for attempt in range(3):
                body, headers = signed(f"during{attempt}")
                async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
                    assert resp.status == 503, await resp.text()
                    assert resp.headers["Retry-After"]
            async with instance.session.get(instance.url("/readyz")) as resp:
                assert resp.status == 503
        finally:
            await set_database_open(instance, True)
        body, headers = signed("after")
        async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
            assert resp.status == 202
        ids = {row["activity_id"] for row in await instance.pool.fetch("SELECT activity_id FROM inbox_items")}
        assert len(ids) == 2  # the first and the last: nothing answered 202 was lost
        assert sum((await inbox_store.count_by_state(instance.pool)).values()) == 2
