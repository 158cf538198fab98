"""Finished queue rows are deleted after the retention, in batches; queued rows and our
own activities stay; `prune-queues` does the same pass; the retention cannot be shorter
than the replay window; queue tables that autovacuum does not look after are vacuumed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server import queue_housekeeping
from server.config import ConfigError, Settings, _validate
from server.domain.actors import create_local_actor
from server.queue_housekeeping import due_for_vacuum, prune_queues, vacuum_queues_when_needed
from server.storage import maintenance
from tests.harness import Instance
from tests.server.test_cli import run_cli

LATER = timedelta(days=1)


async def _inbox_row(instance: Instance, name: str, state: str, finished_days_ago: float | None) -> None:
    finished = None if finished_days_ago is None else datetime.now(UTC) - timedelta(days=finished_days_ago)
    await instance.pool.execute(
        """INSERT INTO inbox_items (activity_id, actor_ap_id, document, state, finished_at, next_attempt_at)
           VALUES ($1, 'https://a.example/users/x', '{}'::jsonb, $2, $3, now() + interval '1 day')""",
        f"https://a.example/activities/{name}",
        state,
        finished,
    )


async def _delivery_row(
    instance: Instance, activity_id: int, name: str, state: str, finished_days_ago: float | None
) -> None:
    finished = None if finished_days_ago is None else datetime.now(UTC) - timedelta(days=finished_days_ago)
    await instance.pool.execute(
        """INSERT INTO deliveries (activity_id, inbox_url, host, state, finished_at, next_attempt_at)
           VALUES ($1, $2, 'a.example', $3, $4, now() + interval '1 day')""",
        activity_id,
        f"https://a.example/users/{name}/inbox",
        state,
        finished,
    )


async def _left(instance: Instance) -> tuple[set[str], set[str]]:
    inbox = {
        r["activity_id"].rsplit("/", 1)[1] for r in await instance.pool.fetch("SELECT activity_id FROM inbox_items")
    }
    deliveries = {r["inbox_url"].split("/")[4] for r in await instance.pool.fetch("SELECT inbox_url FROM deliveries")}
    return inbox, deliveries


async def _setup_rows(instance: Instance) -> int:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    activity_id = int(
        await instance.pool.fetchval(
            """INSERT INTO outgoing_activities (ap_id, actor_id, document)
               VALUES ('https://b.example/activities/1', $1, '{}'::jsonb) RETURNING id""",
            anna.id,
        )
    )
    for name, state, age in (
        ("old-done", "done", 8),
        ("old-ignored", "ignored", 9),
        ("old-failed", "failed", 30),
        ("young-done", "done", 6),
        ("queued", "queued", None),
    ):
        await _inbox_row(instance, name, state, age)
    for name, state, age in (
        ("old-done", "done", 8),
        ("old-failed", "failed", 10),
        ("young-failed", "failed", 1),
        ("queued", "queued", None),
    ):
        await _delivery_row(instance, activity_id, name, state, age)
    return activity_id


async def test_rows_finished_longer_than_the_retention_are_deleted(instance: Instance) -> None:
    await _setup_rows(instance)
    pruned = await prune_queues(instance.pool, instance.settings)
    assert (pruned.inbox_items, pruned.deliveries) == (3, 2)
    inbox, deliveries = await _left(instance)
    assert inbox == {"young-done", "queued"}
    assert deliveries == {"young-failed", "queued"}
    # our own activity stays: it is served to fetches
    assert await instance.pool.fetchval("SELECT count(*) FROM outgoing_activities") == 1
    # a second pass finds nothing more
    again = await prune_queues(instance.pool, instance.settings)
    assert (again.inbox_items, again.deliveries) == (0, 0)


async def test_a_shorter_retention_and_small_batches_delete_all_that_is_due(
    instance: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _setup_rows(instance)
    monkeypatch.setattr(queue_housekeeping, "BATCH", 1)
    settings = instance.settings.with_overrides(finished_jobs_retention_hours=12.0)
    pruned = await prune_queues(instance.pool, settings)
    assert (pruned.inbox_items, pruned.deliveries) == (4, 3)
    inbox, deliveries = await _left(instance)
    assert inbox == {"queued"} and deliveries == {"queued"}


async def test_the_command_runs_the_same_pass(instance: Instance) -> None:
    await _setup_rows(instance)
    env = {"DATABASE_URL": instance.dsn, "BUURTPLEIN_DATA_DIR": str(instance.settings.data_dir)}
    ran = run_cli("prune-queues", env=env)
    assert ran.returncode == 0, ran.stderr
    assert "deleted 3 finished inbox row(s) and 2 finished delivery row(s)" in ran.stdout


async def test_the_background_pass_runs_on_its_interval(instance: Instance) -> None:
    import asyncio

    await _setup_rows(instance)
    stop = asyncio.Event()
    task = asyncio.create_task(
        queue_housekeeping.run_queue_pruning(instance.pool, instance.settings, stop, interval=0.05)
    )
    try:
        for _ in range(100):
            if (await _left(instance))[0] == {"young-done", "queued"}:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
    assert (await _left(instance))[0] == {"young-done", "queued"}


def test_the_retention_must_outlast_the_replay_window() -> None:
    with pytest.raises(ConfigError, match="finished_jobs_retention_hours"):
        _validate(Settings(finished_jobs_retention_hours=1.5, signature_max_skew_seconds=3600))
    _validate(Settings(finished_jobs_retention_hours=2.5, signature_max_skew_seconds=3600))


def test_only_tables_autovacuum_does_not_look_after_and_with_many_dead_rows_are_due() -> None:
    rows = maintenance.TableRows
    assert due_for_vacuum(rows("deliveries", live=10_000, dead=6_000, autovacuum=False))
    assert not due_for_vacuum(rows("deliveries", live=10_000, dead=6_000, autovacuum=True))
    assert not due_for_vacuum(rows("deliveries", live=100_000, dead=6_000, autovacuum=False))
    assert not due_for_vacuum(rows("deliveries", live=100, dead=4_000, autovacuum=False))


async def _dead_rows(instance: Instance, table: str) -> int:
    found = {r.table: r for r in await maintenance.queue_table_rows(instance.pool)}
    return found[table].dead


async def test_dead_queue_rows_are_vacuumed_where_autovacuum_is_off(instance: Instance) -> None:
    import asyncio

    await instance.pool.execute("ALTER TABLE inbox_items SET (autovacuum_enabled = false)")
    for i in range(300):
        await _inbox_row(instance, f"row-{i}", "done", 1)
    for _ in range(2):
        await instance.pool.execute("UPDATE inbox_items SET attempts = attempts + 1")
    vacuumed: list[str] = []
    for _ in range(100):  # the statistics reach the views within about a second
        vacuumed = await vacuum_queues_when_needed(instance.pool, dead_rows_min=300)
        if vacuumed:
            break
        await asyncio.sleep(0.1)
    assert vacuumed == ["inbox_items"]
    for _ in range(100):
        if await _dead_rows(instance, "inbox_items") == 0:
            break
        await asyncio.sleep(0.1)
    assert await _dead_rows(instance, "inbox_items") == 0
    assert await instance.pool.fetchval("SELECT count(*) FROM inbox_items WHERE attempts = 2") == 300
