"""/metrics is protected by a token and reports the queues and inbox outcomes."""

from __future__ import annotations

from pathlib import Path

from tests.harness import Instance, running_instance


async def test_metrics_is_absent_without_a_token(instance: Instance) -> None:
    async with instance.session.get(instance.url("/metrics")) as resp:
        assert resp.status == 404


async def test_metrics_needs_the_token_and_counts_refusals(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(
        database_server, template_database, "127.0.0.2", tmp_path, metrics_token="s3cret"
    ) as inst:
        async with inst.session.get(inst.url("/metrics")) as resp:
            assert resp.status == 401
        async with inst.session.post(
            inst.url("/inbox"), data=b"{}", headers={"Content-Type": "application/activity+json"}
        ) as resp:
            assert resp.status == 400
        async with inst.session.get(inst.url("/metrics"), headers={"Authorization": "Bearer s3cret"}) as resp:
            assert resp.status == 200
            text = await resp.text()
    assert 'buurtplein_inbox_requests_total{outcome="rejected",reason="activity without an http(s) id"} 1' in text
    assert "# TYPE buurtplein_deliveries gauge" in text
