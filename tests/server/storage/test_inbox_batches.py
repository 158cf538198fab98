"""Inbox rows stored in batches: one statement applies the instance policy per row, keeps
the arrival order, and counts a repeated activity once, also within one batch."""

from __future__ import annotations

import asyncio

import orjson

from server.queue_housekeeping import prune_queues
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
    claimed = await inbox_store.claim_items(instance.pool, 10, 60, worker="one", per_actor=4)
    assert [item.activity_id for item in claimed] == [f"https://slow.example/{i}" for i in range(4)] + [
        f"https://quick.example/{i}" for i in range(3)
    ]
    skipped = await inbox_store.claim_items(instance.pool, 10, 60, worker="one", skip_actors=["https://slow.example/u"])
    assert skipped == []
    rest = await inbox_store.claim_items(instance.pool, 10, 60, worker="one", per_actor=4)
    assert [item.activity_id for item in rest] == [f"https://slow.example/{i}" for i in range(4, 8)]


async def test_one_worker_holds_a_sender_at_a_time(instance: Instance) -> None:
    """Two processes never handle one sender's activities side by side: a claim passes over
    senders another worker holds, until that worker gives them back or its lease ends."""
    first = [row(f"https://a.example/{i}", "https://a.example/u", "a.example") for i in range(3)]
    await inbox_store.store_rows_unless_refused(instance.pool, first, allowlist_only=False, notify=False)
    mine = await inbox_store.claim_items(instance.pool, 2, 60, worker="one", per_actor=4)
    assert [item.activity_id for item in mine] == ["https://a.example/0", "https://a.example/1"]
    other = [row("https://b.example/0", "https://b.example/u", "b.example")]
    await inbox_store.store_rows_unless_refused(instance.pool, other, allowlist_only=False, notify=False)

    # another worker gets b's activity, not a's third while "one" holds a
    theirs = await inbox_store.claim_items(instance.pool, 10, 60, worker="two", per_actor=4)
    assert [item.activity_id for item in theirs] == ["https://b.example/0"]
    # the holder itself claims more of its sender
    more = await inbox_store.claim_items(instance.pool, 10, 60, worker="one", per_actor=4)
    assert [item.activity_id for item in more] == ["https://a.example/2"]

    # given back (a stop with nothing in hand), the sender is free for others
    await inbox_store.release_senders(instance.pool, "one")
    later = [row("https://a.example/3", "https://a.example/u", "a.example")]
    await inbox_store.store_rows_unless_refused(instance.pool, later, allowlist_only=False, notify=False)
    assert [i.activity_id for i in await inbox_store.claim_items(instance.pool, 10, 60, worker="two")] == [
        "https://a.example/3"
    ]
    # an expired lease frees the sender too (a killed worker)
    await instance.pool.execute("UPDATE inbox_sender_leases SET locked_until = now() - interval '1 second'")
    last = [row("https://a.example/4", "https://a.example/u", "a.example")]
    await inbox_store.store_rows_unless_refused(instance.pool, last, allowlist_only=False, notify=False)
    assert [i.activity_id for i in await inbox_store.claim_items(instance.pool, 10, 60, worker="one")] == [
        "https://a.example/4"
    ]


async def test_concurrent_claims_never_share_a_sender(instance: Instance) -> None:
    """Many workers claiming at the same moment: each sender's activities all go to one."""
    rows = [
        row(f"https://s{n}.example/{i}", f"https://s{n}.example/u", f"s{n}.example")
        for i in range(4)
        for n in range(30)
    ]
    await inbox_store.store_rows_unless_refused(instance.pool, rows, allowlist_only=False, notify=False)
    holders: dict[str, set[str]] = {}
    claimed: list[str] = []
    for _ in range(20):  # rounds: each worker claims again while holding what it has
        claims = await asyncio.gather(
            *(inbox_store.claim_items(instance.pool, 7, 60, worker=f"w{n}", per_actor=2) for n in range(6))
        )
        for n, items in enumerate(claims):
            for item in items:
                holders.setdefault(item.actor_ap_id, set()).add(f"w{n}")
                claimed.append(item.activity_id)
        if len(claimed) >= len(rows):
            break
    assert sorted(claimed) == sorted(r.activity_id for r in rows)  # each once
    assert all(len(workers) == 1 for workers in holders.values()), holders
    assert len({worker for workers in holders.values() for worker in workers}) > 1  # shared out


async def test_expired_sender_leases_are_pruned(instance: Instance) -> None:
    one = [row("https://c.example/0", "https://c.example/u", "c.example")]
    await inbox_store.store_rows_unless_refused(instance.pool, one, allowlist_only=False, notify=False)
    assert len(await inbox_store.claim_items(instance.pool, 10, 60, worker="one")) == 1
    await instance.pool.execute("UPDATE inbox_sender_leases SET locked_until = now() - interval '2 hours'")
    pruned = await prune_queues(instance.pool, instance.settings)
    assert pruned.sender_leases == 1
    assert await instance.pool.fetchval("SELECT count(*) FROM inbox_sender_leases") == 0
