"""The poll closer as a background task: two closers running at once close each poll once
and send each batch of results once; a real `buurtplein worker` process closes a poll whose
end time has passed, delivers its final results to the remote voter and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.appkeys import KEYRING, REMOTE
from server.domain import polls
from server.domain.actors import create_local_actor
from server.domain.federation_context import Federating
from server.poll_close_task import close_polls_once
from server.storage import polls as poll_store
from server.storage.pool import create_pool
from tests.harness import PEER_ADDRESSES, Instance, federating, running_instance, wait_for
from tests.scripted_peer import scripted_peer

BIN = Path(sys.executable).parent / "buurtplein"


async def _updates_of(inst: Instance, ap_id: str) -> list[dict[str, Any]]:
    rows = await inst.pool.fetch(
        """SELECT document FROM outgoing_activities
           WHERE document->>'type' = 'Update' AND document->'object'->>'id' = $1 ORDER BY id""",
        ap_id,
    )
    return [r["document"] for r in rows]


async def test_two_closers_close_each_poll_once_and_send_each_batch_once(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        fed = federating(inst)
        ria = await create_local_actor(inst.pool, inst.settings, kind="Person", username="ria")
        later = datetime.now(UTC) + timedelta(hours=1)
        ending = [
            (await polls.create_poll(fed, ria, f"Sluit {i}?", ["Ja", "Nee"], ends_at=later)).ap_id for i in range(8)
        ]
        batched = [(await polls.create_poll(fed, ria, f"Open {i}?", ["Ja", "Nee"])).ap_id for i in range(8)]
        for ap_id in ending[::2] + batched:
            await polls.vote(fed, ria, ap_id, ["Ja"])  # results due at once (none sent yet)
        await inst.pool.execute(
            """UPDATE polls SET ends_at = now() - interval '1 second'
               WHERE object_id IN (SELECT id FROM objects WHERE ap_id = ANY($1::text[]))""",
            ending,
        )
        other_pool = await create_pool(inst.dsn)  # the second closer, as another process would
        try:
            other = Federating(other_pool, inst.settings, inst.app[KEYRING], inst.app[REMOTE])
            passes = await asyncio.gather(*(close_polls_once(f) for f in (fed, other, fed, other)))
        finally:
            await other_pool.close()
        closed = [ap_id for pass_closed, _ in passes for ap_id in pass_closed]
        sent = [ap_id for _, pass_sent in passes for ap_id in pass_sent]
        assert sorted(closed) == sorted(ending)  # each closed by exactly one closer
        assert sorted(ap_id for ap_id in sent if ap_id in batched) == sorted(batched)
        assert len(sent) == len(set(sent))
        for ap_id in ending:
            poll = await poll_store.poll_by_ap_id(inst.pool, ap_id)
            assert poll is not None and poll.closed_at is not None
            updates = await _updates_of(inst, ap_id)
            assert len([u for u in updates if "closed" in u["object"]]) == 1, ap_id
            assert len(updates) <= 2  # at most one batch sent before it closed, then the final one
        for ap_id in batched:
            updates = await _updates_of(inst, ap_id)
            assert len(updates) == 1 and "closed" not in updates[0]["object"], ap_id
            assert updates[0]["object"]["votersCount"] == 1
        assert await close_polls_once(fed) == ([], [])  # nothing left to do


async def test_the_worker_process_closes_a_poll_and_sends_its_results(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with (
        running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst,
        scripted_peer(PEER_ADDRESSES[1]) as peer,
    ):
        fed = federating(inst)
        ria = await create_local_actor(inst.pool, inst.settings, kind="Person", username="ria")
        row = await polls.create_poll(
            fed, ria, "Bankje?", ["Ja", "Nee"], ends_at=datetime.now(UTC) + timedelta(hours=1)
        )
        anna = peer.make_actor("anna")
        voter = await fed.remote.actor(anna.ap_id)
        assert voter is not None
        async with inst.pool.acquire() as conn, conn.transaction():
            outcome = await polls.record_vote(conn, row.ap_id, voter.id, "Nee", peer.activity_id(), datetime.now(UTC))
            assert outcome.counted
            await polls.vote_counted(conn, fed, row.ap_id)
        await inst.pool.execute("UPDATE polls SET ends_at = now() - interval '1 second'")
        env = {**os.environ, "DATABASE_URL": inst.dsn, "BUURTPLEIN_DOMAIN": inst.settings.domain,
               "BUURTPLEIN_SCHEME": "http", "BUURTPLEIN_DATA_DIR": str(tmp_path),
               "BUURTPLEIN_SECRET_KEY": inst.settings.secret_key, "BUURTPLEIN_LOG_LEVEL": "warning",
               "BUURTPLEIN_POLL_CLOSE_INTERVAL_SECONDS": "1",
               "BUURTPLEIN_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/31"}  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            str(BIN), "worker", env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:

            async def delivered() -> list[dict[str, Any]]:
                return [a for a in peer.received if a.get("type") == "Update"]

            updates = await wait_for(delivered, timeout=30)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), 20)
        assert proc.returncode == 0, stderr.decode()
        assert len(updates) == 1
        question = updates[0]["object"]
        assert question["id"] == row.ap_id and "closed" in question
        assert [(o["name"], o["replies"]["totalItems"]) for o in question["oneOf"]] == [("Ja", 0), ("Nee", 1)]
        poll = await poll_store.poll_by_ap_id(inst.pool, row.ap_id)
        assert poll is not None and poll.closed_at is not None
        assert len(await _updates_of(inst, row.ap_id)) == 1  # closed once, one final Update
