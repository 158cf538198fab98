"""The background import of follow and block lists: two processes working one import side
by side handle every address exactly once (followed, already followed, failed with its
reason); an address whose lease ran out too often is given up; a block list is blocked;
and a real `buurtplein worker` process works an import and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from server.appkeys import HTTP
from server.config import Settings
from server.domain import follows
from server.domain.actors import create_local_actor, generate_keys, insert_local_actor
from server.domain.federation_context import Federating
from server.list_import_task import GAVE_UP, MAX_ATTEMPTS, run_list_imports
from server.storage import follows as follow_store
from server.storage import list_imports as import_store
from server.storage import moderation as moderation_store
from server.storage.actors import ActorRow
from server.storage.pool import Pool, create_pool
from tests.harness import (
    PEER_ADDRESSES,
    create_database,
    drop_database,
    federating,
    running_instance,
    unique_name,
    wait_for,
)

BIN = Path(sys.executable).parent / "buurtplein"


async def many_local(pool: Pool, settings: Settings, prefix: str, count: int) -> list[ActorRow]:
    """`count` local people sharing one key pair (generating a pair each takes long)."""
    keys = await asyncio.to_thread(generate_keys)
    async with pool.acquire() as conn:
        return [
            await insert_local_actor(
                conn, settings, keys, kind="Person", username=f"{prefix}{i}", name="", summary="",
                manually_approves=False,
            )
            for i in range(count)
        ]  # fmt: skip


async def finished(pool: Pool, actor_id: int) -> bool:
    imports = await import_store.imports_of(pool, actor_id, 10)
    return bool(imports) and all(i.finished_at is not None for i in imports)


async def test_two_processes_work_an_import_once(database_server: str, template_database: str, tmp_path: Path) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        domain = inst.settings.domain
        lotte = await create_local_actor(inst.pool, inst.settings, kind="Person", username="lotte")
        neighbours = await many_local(inst.pool, inst.settings, "buur", 150)
        await follows.follow(federating(inst), lotte, neighbours[0].ap_id)
        addresses = [f"buur{i}@{domain}" for i in range(150)] + [f"niemand{i}@{domain}" for i in range(60)]
        import_id = await import_store.start_import(inst.pool, lotte.id, "follows", [*addresses, f"lotte@{domain}"])
        assert import_id is not None
        # an address whose process stopped mid-way every time it was leased
        await inst.pool.execute(
            """UPDATE list_import_rows SET attempts = $2, locked_until = now() - interval '1 second'
               WHERE import_id = $1 AND position = 151""",
            import_id,
            MAX_ATTEMPTS,
        )

        other_pool = await create_pool(inst.dsn)
        stop = asyncio.Event()
        fed = federating(inst)
        other = Federating(other_pool, inst.settings, fed.keyring, fed.remote)
        workers = [
            asyncio.create_task(run_list_imports(f, inst.app[HTTP], stop, idle_seconds=0.2)) for f in (fed, other)
        ]
        try:
            assert await wait_for(lambda: finished(inst.pool, lotte.id), timeout=60)
        finally:
            stop.set()
            await asyncio.gather(*workers)
            await other_pool.close()

        [progress] = await import_store.imports_of(inst.pool, lotte.id, 10)
        assert (progress.total, progress.done, progress.already, progress.failed) == (211, 149, 1, 61)
        failed = dict((await import_store.failed_addresses(inst.pool, [import_id], 100))[import_id])
        assert failed["niemand0@" + domain] == GAVE_UP
        assert failed["niemand1@" + domain] == "no such account here"
        assert failed["lotte@" + domain] == "that is this account itself"
        attempts = await inst.pool.fetch(
            "SELECT position, attempts, state FROM list_import_rows WHERE import_id = $1", import_id
        )
        assert {(r["attempts"], r["state"] != "queued") for r in attempts if r["position"] != 151} == {(1, True)}
        for neighbour in neighbours:
            assert await follow_store.follow_state(inst.pool, lotte.id, neighbour.id) == "accepted"
        # each neighbour was told of the follow
        notified = await inst.pool.fetchval(
            "SELECT count(*) FROM notifications WHERE kind = 'follow' AND actor_id = $1", lotte.id
        )
        assert notified == 150


async def test_a_block_list_is_blocked(database_server: str, template_database: str, tmp_path: Path) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        domain = inst.settings.domain
        lotte = await create_local_actor(inst.pool, inst.settings, kind="Person", username="lotte")
        spammers = await many_local(inst.pool, inst.settings, "spam", 5)
        import_id = await import_store.start_import(
            inst.pool, lotte.id, "blocks", [f"spam{i}@{domain}" for i in range(5)] + [f"niemand@{domain}"]
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run_list_imports(federating(inst), inst.app[HTTP], stop, idle_seconds=0.2))
        try:
            assert await wait_for(lambda: finished(inst.pool, lotte.id))
        finally:
            stop.set()
            await task
        for spammer in spammers:
            assert await moderation_store.is_blocked_by(inst.pool, lotte.id, spammer.id)
        [progress] = await import_store.imports_of(inst.pool, lotte.id, 10)
        assert (progress.id, progress.done, progress.failed) == (import_id, 5, 1)


async def test_the_worker_process_works_imports(database_server: str, template_database: str, tmp_path: Path) -> None:
    name = unique_name("bp_listimport")
    dsn = await create_database(database_server, name, template_database)
    pool = await create_pool(dsn)
    domain = "127.0.0.2:9"
    try:
        settings = Settings(domain=domain, scheme="http", data_dir=tmp_path)
        lotte = await create_local_actor(pool, settings, kind="Person", username="lotte")
        neighbours = await many_local(pool, settings, "buur", 3)
        await import_store.start_import(pool, lotte.id, "follows", [f"buur{i}@{domain}" for i in range(3)])
        env = {**os.environ, "DATABASE_URL": dsn, "BUURTPLEIN_DOMAIN": domain, "BUURTPLEIN_SCHEME": "http",
               "BUURTPLEIN_DATA_DIR": str(tmp_path), "BUURTPLEIN_LOG_LEVEL": "warning"}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            str(BIN), "worker", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            assert await wait_for(lambda: finished(pool, lotte.id), timeout=30)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, stderr.decode()
        for neighbour in neighbours:
            assert await follow_store.follow_state(pool, lotte.id, neighbour.id) == "accepted"
    finally:
        await pool.close()
        await drop_database(database_server, name)
