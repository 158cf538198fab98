"""Inbox rows stored in batches: one statement applies the instance policy per row, keeps
the arrival order, and counts a repeated activity once, also within one batch."""

from __future__ import annotations

import asyncio

import orjson

from server.storage import inbox as inbox_store
from server.storage import policy as policy_store
from server.storage.inbox import IncomingRow
from tests.harness import Instance
from tests.scripted_peer import scripted_peer
from tests.server.routes.test_inbox import note_create, post, stored


def row(activity_id: str, actor: str, host: str) -> IncomingRow:
    return IncomingRow(activity_id, actor, {"id": activity_id, "type": "Create"}, None, host)


async def test_policy_order_and_duplicates_in_one_statement(instance: Instance) -> None:
    await policy_store.block_domain(instance.pool, "blocked.example")
    rows = [
        row("https://a.example/1", "https://a.example/users/x", "a.example"),
        row("https://a.example/2", "https://a.example/users/x", "a.example"),
        row("https://a.example/1", "https://a.example/users/x", "a.example"),  # again, same batch
        row("https://sub.blocked.example/3", "https://sub.blocked.example/u", "sub.blocked.example"),
        row("https://b.example/4", "https://b.example/users/y", "b.example"),
    ]
    results = await inbox_store.store_rows_unless_refused(instance.pool, rows, allowlist_only=False, notify=True)
    assert results == [True, True, False, None, True]
    ids = await instance.pool.fetch("SELECT activity_id FROM inbox_items ORDER BY id")
    assert [r["activity_id"] for r in ids] == ["https://a.example/1", "https://a.example/2", "https://b.example/4"]
    again = await inbox_store.store_rows_unless_refused(instance.pool, rows[:2], allowlist_only=False, notify=False)
    assert again == [False, False]


async def test_allowlist_mode_refuses_per_row(instance: Instance) -> None:
    await instance.pool.execute("INSERT INTO allowed_domains (domain) VALUES ('a.example')")
    rows = [
        row("https://sub.a.example/1", "https://sub.a.example/u", "sub.a.example"),
        row("https://b.example/2", "https://b.example/u", "b.example"),
    ]
    results = await inbox_store.store_rows_unless_refused(instance.pool, rows, allowlist_only=True, notify=False)
    assert results == [True, None]


async def test_concurrent_requests_share_statements_and_all_commit(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actors = [peer.make_actor(f"user{i}") for i in range(4)]
        bodies = [(actor, orjson.dumps(note_create(peer, actor))) for actor in actors for _ in range(10)]
        for actor, body in bodies[::10]:  # one activity each first: their keys are now in memory
            assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        inbox = instance.url("/inbox")
        sends = bodies + bodies[:5]  # some twice at the same time: one row each
        statuses = await asyncio.gather(
            *(post(instance, "/inbox", body, peer.signed_headers(actor, inbox, body)) for actor, body in sends)
        )
        assert set(statuses) == {202}
        assert await stored(instance) == len({body for _, body in bodies})


async def test_a_claim_takes_a_few_oldest_rows_per_sender_and_skips_senders_in_hand(instance: Instance) -> None:
    slow = [row(f"https://slow.example/{i}", "https://slow.example/u", "slow.example") for i in range(20)]
    quick = [row(f"https://quick.example/{i}", "https://quick.example/u", "quick.example") for i in range(3)]
    await inbox_store.store_rows_unless_refused(instance.pool, slow + quick, allowlist_only=False, notify=False)
    claimed = await inbox_store.claim_items(instance.pool, 10, 60, per_actor=4)
    assert [item.activity_id for item in claimed] == [f"https://slow.example/{i}" for i in range(4)] + [
        f"https://quick.example/{i}" for i in range(3)
    ]
    skipped = await inbox_store.claim_items(instance.pool, 10, 60, skip_actors=["https://slow.example/u"])
    assert skipped == []
    rest = await inbox_store.claim_items(instance.pool, 10, 60, per_actor=4)
    assert [item.activity_id for item in rest] == [f"https://slow.example/{i}" for i in range(4, 8)]
