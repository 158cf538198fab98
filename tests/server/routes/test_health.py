"""GET /healthz and /readyz on a real instance."""

from __future__ import annotations

from tests.harness import Instance


async def test_healthz_answers_ok(instance: Instance) -> None:
    async with instance.session.get(instance.url("/healthz")) as resp:
        assert resp.status == 200
        assert (await resp.json()) == {"status": "ok"}
        assert resp.headers["X-Request-Id"]


async def test_readyz_reports_database_and_migrations(instance: Instance) -> None:
    async with instance.session.get(instance.url("/readyz")) as resp:
        body = await resp.json()
        assert resp.status == 200, body
        assert body["status"] == "ready"
        assert body["migrations"] >= 1


async def test_readyz_is_unready_when_a_migration_is_pending(instance: Instance) -> None:
    await instance.pool.execute("DELETE FROM schema_migrations WHERE version = 1")
    async with instance.session.get(instance.url("/readyz")) as resp:
        body = await resp.json()
        assert resp.status == 503
        assert body["pending_migrations"] == ["0001_create_core.sql"]


async def test_request_id_is_echoed(instance: Instance) -> None:
    async with instance.session.get(instance.url("/healthz"), headers={"X-Request-Id": "abc123"}) as resp:
        assert resp.headers["X-Request-Id"] == "abc123"


async def test_each_request_gets_its_own_id(instance: Instance) -> None:
    seen = set()
    for _ in range(3):
        async with instance.session.get(instance.url("/healthz")) as resp:
            seen.add(resp.headers["X-Request-Id"])
    assert len(seen) == 3 and all(len(rid) == 16 for rid in seen)
