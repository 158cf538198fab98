"""The queued follow and block imports (migration 0019) on real PostgreSQL: a list of more
than 1000 addresses is queued whole, an account has one unfinished import of each kind,
claims by two connections at once never share an address, a lease keeps an address from
others until it runs out, the counts and failures read back in file order, and a stopped
import ends its queued addresses as stopped (one being worked ends as it really did)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.domain.actors import create_local_actor
from server.portability.mastodon_csv import blocks_csv, parse_follows_csv
from server.storage import list_imports as store
from server.storage.pool import create_pool
from tests.harness import PEER_ADDRESSES, running_instance


async def test_a_long_list_is_queued_once_per_kind_and_read_back(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        lotte = await create_local_actor(inst.pool, inst.settings, kind="Person", username="lotte")
        parsed = parse_follows_csv(blocks_csv(f"n{i}@x.example" for i in range(1001)) + "not an address\n")
        assert len(parsed.entries) == 1001 and len(parsed.refused) == 1
        refused = [(f"line {n}", reason) for n, reason in parsed.refused]
        addresses = [e.address for e in parsed.entries]
        first = await store.start_import(inst.pool, lotte.id, "follows", addresses, refused)
        assert first is not None
        assert await store.start_import(inst.pool, lotte.id, "follows", ["a@x.example"]) is None  # one at a time
        blocks = await store.start_import(inst.pool, lotte.id, "blocks", ["a@x.example"])
        assert blocks is not None

        shown = await store.imports_of(inst.pool, lotte.id, 10)
        expected = [(blocks, "blocks", 1, 1), (first, "follows", 1001, 1002)]
        assert [(i.id, i.kind, i.accounts, i.total) for i in shown] == expected
        follows = shown[1]
        assert (follows.done, follows.already, follows.failed, follows.handled) == (0, 0, 1, 1)
        assert follows.finished_at is None
        failed = await store.failed_addresses(inst.pool, [first, blocks], 5)
        assert failed == {first: [("line 1002", "not an account address: 'not an address'")]}

        # worked to the end, the import finishes and another of its kind can start
        for position in range(1, 1002):
            ending = "failed" if position % 2 else "done"
            await store.record_address(inst.pool, first, position, ending, "no such account" if position % 2 else "")
        assert not await store.record_address(inst.pool, first, 1, "done")  # finished rows stay as they ended
        assert await store.finish_imports(inst.pool) == 1
        follows = (await store.imports_of(inst.pool, lotte.id, 10))[1]
        assert follows.finished_at is not None and (follows.done, follows.failed) == (500, 502)
        listed = (await store.failed_addresses(inst.pool, [first], 3))[first]
        assert listed == [("n0@x.example", "no such account"), ("n2@x.example", "no such account"),
                          ("n4@x.example", "no such account")]  # fmt: skip
        assert await store.start_import(inst.pool, lotte.id, "follows", ["b@x.example"]) is not None


async def test_claims_never_share_an_address_and_leases_run_out(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        lotte = await create_local_actor(inst.pool, inst.settings, kind="Person", username="lotte")
        anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
        ours = await store.start_import(inst.pool, lotte.id, "follows", [f"l{i}@x.example" for i in range(60)])
        theirs = await store.start_import(inst.pool, anna.id, "blocks", [f"a{i}@x.example" for i in range(60)])
        assert ours is not None and theirs is not None
        other = await create_pool(inst.dsn)  # a second process
        try:
            claims = await asyncio.gather(
                *(store.claim_addresses(pool, 60, 10) for pool in (inst.pool, other, inst.pool, other))
            )
        finally:
            await other.close()
        keys = [(c.import_id, c.position) for claim in claims for c in claim]
        assert len(keys) == 40 and len(set(keys)) == 40
        first = sorted(claims, key=lambda c: c[0].position)[0]
        # the first address of every import before the second of any
        assert [(c.import_id, c.position) for c in first[:2]] == [(ours, 1), (theirs, 1)]
        assert {c.kind for claim in claims for c in claim} == {"follows", "blocks"}
        assert all(c.attempts == 1 for claim in claims for c in claim)

        # leased rows are left alone until the lease runs out; then they come back
        rest = await store.claim_addresses(inst.pool, 60, 500)
        assert len(rest) == 80 and not {(c.import_id, c.position) for c in rest} & set(keys)
        assert await store.claim_addresses(inst.pool, 60, 500) == []
        await inst.pool.execute("UPDATE list_import_rows SET locked_until = now() - interval '1 second'")
        again = await store.claim_addresses(inst.pool, 60, 500)
        assert len(again) == 120 and all(c.attempts == 2 for c in again)


async def test_stopping_an_import_keeps_what_was_done(
    database_server: str, template_database: str, tmp_path: Path
) -> None:
    async with running_instance(database_server, template_database, PEER_ADDRESSES[0], tmp_path, workers=0) as inst:
        lotte = await create_local_actor(inst.pool, inst.settings, kind="Person", username="lotte")
        anna = await create_local_actor(inst.pool, inst.settings, kind="Person", username="anna")
        addresses = [f"n{i}@x.example" for i in range(5)]
        import_id = await store.start_import(inst.pool, lotte.id, "follows", addresses, [("line 6", "not an address")])
        assert import_id is not None
        first, second, third = await store.claim_addresses(inst.pool, 60, 3)
        assert await store.record_address(inst.pool, import_id, first.position, "done")
        # positions 4 and 5 lie in the queue; 2 and 3 are being worked (leased) right now

        assert await store.stop_import(inst.pool, anna.id, import_id) is None  # not hers
        assert await store.stop_import(inst.pool, lotte.id, import_id + 1000) is None
        assert await store.stop_import(inst.pool, lotte.id, import_id) == 4
        [stopped] = await store.imports_of(inst.pool, lotte.id, 10)
        assert stopped.finished_at is not None
        assert (stopped.done, stopped.already, stopped.failed, stopped.stopped, stopped.handled) == (1, 0, 1, 4, 2)
        assert await store.claim_addresses(inst.pool, 60, 10) == []
        assert await store.finish_imports(inst.pool) == 0

        # the address being worked ends as it really did; the others stay stopped
        assert await store.record_address(inst.pool, import_id, second.position, "already")
        assert not await store.record_address(inst.pool, import_id, 4, "done")  # never leased
        states = await inst.pool.fetch(
            "SELECT position, state, reason FROM list_import_rows WHERE import_id = $1 ORDER BY position", import_id
        )
        assert [(r["position"], r["state"], r["reason"]) for r in states] == [
            (1, "done", None), (2, "already", None), (3, "stopped", None), (4, "stopped", None),
            (5, "stopped", None), (6, "failed", "not an address"),
        ]  # fmt: skip
        [stopped] = await store.imports_of(inst.pool, lotte.id, 10)
        assert (stopped.done, stopped.already, stopped.failed, stopped.stopped) == (1, 1, 1, 3)

        # a lease that ran out (its process died) does not bring a stopped address back
        await inst.pool.execute("UPDATE list_import_rows SET locked_until = now() - interval '1 second'")
        assert not await store.record_address(inst.pool, import_id, third.position, "done")
        assert await store.stop_import(inst.pool, lotte.id, import_id) == 0  # finished already
        assert await store.start_import(inst.pool, lotte.id, "follows", ["b@x.example"]) is not None
