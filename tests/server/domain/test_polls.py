"""Polls on one real instance: validation, local votes, remote votes through the inbox
(counted once per actor, late votes ignored and counted), results sent as Update."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from server.domain import polls
from server.domain.actors import create_local_actor
from server.storage import inbox as inbox_store
from server.storage import polls as poll_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer

AS2 = {"Accept": "application/activity+json"}


async def send(inst: Instance, peer: ScriptedPeer, actor: PeerActor, activity: dict[str, Any]) -> None:
    body = orjson.dumps(activity)
    headers = peer.signed_headers(actor, inst.url("/inbox"), body)
    async with inst.session.post(inst.url("/inbox"), data=body, headers=headers) as resp:
        assert resp.status == 202, await resp.text()


async def processed(inst: Instance, n: int) -> bool:
    states = await inbox_store.count_by_state(inst.pool)
    return sum(states.get(s, 0) for s in ("done", "ignored", "failed")) >= n


def vote(peer: ScriptedPeer, voter: PeerActor, question: str, author: str, option: str) -> dict[str, Any]:
    note_id = peer.activity_id().replace("/activities/", "/votes/")
    return {
        "@context": AS,
        "id": note_id + "/activity",
        "type": "Create",
        "actor": voter.ap_id,
        "to": [author],
        "object": {"id": note_id, "type": "Note", "name": option, "inReplyTo": question,
                   "attributedTo": voter.ap_id, "to": [author]},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [(["Ja"], "2 to"), (["Ja", "Ja"], "different"), (["Ja", ""], "non-empty"), ([str(i) for i in range(60)], "2 to")],
)
async def test_invalid_polls_are_refused(instance: Instance, options: list[str], message: str) -> None:
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    with pytest.raises(polls.InvalidPoll, match=message):
        await polls.create_poll(federating(instance), ria, "Wat vindt u?", options)
    with pytest.raises(polls.InvalidPoll, match="future"):
        await polls.create_poll(
            federating(instance), ria, "Te laat", ["a", "b"], ends_at=datetime.now(UTC) - timedelta(minutes=1)
        )


async def test_local_votes_count_once_and_results_are_served(instance: Instance) -> None:
    fed = federating(instance)
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(fed, buurt, "Bankje op het plein?", ["Ja", "Nee"])
    await polls.vote(fed, ria, row.ap_id, ["Ja"])
    with pytest.raises(polls.InvalidPoll, match="voted already"):
        await polls.vote(fed, ria, row.ap_id, ["Nee"])
    with pytest.raises(polls.InvalidPoll, match="choose one"):
        await polls.vote(fed, buurt, row.ap_id, ["Ja", "Nee"])
    with pytest.raises(polls.InvalidPoll, match="no such option"):
        await polls.vote(fed, buurt, row.ap_id, ["Misschien"])
    async with instance.session.get(row.ap_id, headers=AS2) as resp:
        served = await resp.json(content_type=None)
    assert served["type"] == "Question" and served["votersCount"] == 1
    assert [(o["name"], o["replies"]["totalItems"]) for o in served["oneOf"]] == [("Ja", 1), ("Nee", 0)]


async def test_multiple_choice_counts_the_voter_once(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(fed, ria, "Welke dagen?", ["ma", "di", "wo"], multiple=True)
    await polls.vote(fed, ria, row.ap_id, ["ma", "wo", "ma"])
    poll = await poll_store.poll_by_ap_id(instance.pool, row.ap_id)
    assert poll is not None
    assert await poll_store.voters_count(instance.pool, poll) == 1
    assert [o.votes for o in await poll_store.option_counts(instance.pool, poll)] == [1, 0, 1]


async def test_remote_votes_count_once_late_votes_are_ignored_and_counted(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(fed, ria, "Bankje?", ["Ja", "Nee"], ends_at=datetime.now(UTC) + timedelta(hours=1))
    async with scripted_peer() as peer:
        anna = peer.make_actor("anna")
        await send(instance, peer, anna, vote(peer, anna, row.ap_id, ria.ap_id, "Ja"))
        await send(instance, peer, anna, vote(peer, anna, row.ap_id, ria.ap_id, "Nee"))  # second vote
        await send(instance, peer, anna, vote(peer, anna, row.ap_id, ria.ap_id, "Bestaat niet"))
        await wait_for(lambda: processed(instance, 3))
        assert (await inbox_store.count_by_state(instance.pool)) == {"done": 1, "ignored": 2}
        await instance.pool.execute("UPDATE polls SET ends_at = now() - interval '1 minute'")
        # closed here, or by the instance's own background closer if its pass came first
        assert await polls.close_due_polls(fed, datetime.now(UTC)) in ([row.ap_id], [])
        ben = peer.make_actor("ben")
        await send(instance, peer, ben, vote(peer, ben, row.ap_id, ria.ap_id, "Nee"))
        await wait_for(lambda: processed(instance, 4))
    poll = await poll_store.poll_by_ap_id(instance.pool, row.ap_id)
    assert poll is not None and poll.closed_at is not None and poll.late_votes == 1
    assert await poll_store.voters_count(instance.pool, poll) == 1
    assert [o.votes for o in await poll_store.option_counts(instance.pool, poll)] == [1, 0]
    updates = await instance.pool.fetch(
        "SELECT document FROM outgoing_activities WHERE document->>'type' = 'Update' ORDER BY id"
    )
    assert 1 <= len(updates) <= 2  # batched: the counted vote's results, if sent before it closed
    assert "closed" in updates[-1]["document"]["object"]
    assert "closed" not in updates[0]["document"]["object"] or len(updates) == 1
    votes_as_posts = await instance.pool.fetchval("SELECT count(*) FROM objects WHERE type = 'Note'")
    assert votes_as_posts == 0  # votes are not stored as posts


async def test_a_vote_in_someone_elses_name_is_refused(instance: Instance) -> None:
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(federating(instance), ria, "Bankje?", ["Ja", "Nee"])
    async with scripted_peer() as peer:
        anna, mallory = peer.make_actor("anna"), peer.make_actor("mallory")
        forged = vote(peer, anna, row.ap_id, ria.ap_id, "Ja")
        forged["actor"] = mallory.ap_id
        forged["id"] = peer.activity_id()
        body = orjson.dumps(forged)
        headers = peer.signed_headers(mallory, instance.url("/inbox"), body)
        async with instance.session.post(instance.url("/inbox"), data=body, headers=headers) as resp:
            # anna and mallory share a server, so the door lets it in; the handler refuses it
            assert resp.status == 202
        await wait_for(lambda: _all_processed(instance))
    poll = await poll_store.poll_by_ap_id(instance.pool, row.ap_id)
    assert poll is not None and await poll_store.voters_count(instance.pool, poll) == 0


async def _all_processed(inst: Instance) -> bool:
    states = await inst.pool.fetch("SELECT state FROM inbox_items")
    return bool(states) and all(r["state"] != "queued" for r in states)


async def _updates(inst: Instance) -> list[dict[str, Any]]:
    rows = await inst.pool.fetch(
        "SELECT document FROM outgoing_activities WHERE document->>'type' = 'Update' ORDER BY id"
    )
    return [r["document"] for r in rows]


def _counts(update: dict[str, Any]) -> tuple[list[tuple[str, int]], int]:
    question = update["object"]
    return [(o["name"], o["replies"]["totalItems"]) for o in question["oneOf"]], question["votersCount"]


async def test_many_votes_make_few_updates_and_the_last_has_the_final_counts(instance: Instance) -> None:
    fed = federating(instance)
    ria = await create_local_actor(instance.pool, instance.settings, kind="Person", username="ria")
    row = await polls.create_poll(fed, ria, "Bankje?", ["Ja", "Nee"], ends_at=datetime.now(UTC) + timedelta(hours=1))
    async with scripted_peer() as peer:
        voters = [peer.make_actor(f"v{i}") for i in range(12)]
        for i, voter in enumerate(voters):
            await send(instance, peer, voter, vote(peer, voter, row.ap_id, ria.ap_id, "Ja" if i % 3 else "Nee"))
        await wait_for(lambda: processed(instance, 12))
        # the stored Question shows every vote at once, whatever was sent
        async with instance.session.get(row.ap_id, headers=AS2) as resp:
            served = await resp.json(content_type=None)
        assert served["votersCount"] == 12
        # the background closer may have sent one batch meanwhile; never one per vote
        assert len(await _updates(instance)) <= 2
        later = datetime.now(UTC) + timedelta(seconds=instance.settings.poll_results_interval_seconds + 1)
        await polls.send_due_results(fed, later)
        assert await polls.send_due_results(fed, later) == []  # nothing due twice
        before_close = await _updates(instance)
        assert 1 <= len(before_close) <= 2
        assert _counts(before_close[-1]) == ([("Ja", 8), ("Nee", 4)], 12)
        # one more vote, then the poll closes: the final Update carries it, sent at once
        extra = peer.make_actor("laat")
        await send(instance, peer, extra, vote(peer, extra, row.ap_id, ria.ap_id, "Nee"))
        await wait_for(lambda: processed(instance, 13))
        await instance.pool.execute("UPDATE polls SET ends_at = now() - interval '1 second'")
        assert await polls.close_due_polls(fed, datetime.now(UTC)) == [row.ap_id]
        assert await polls.send_due_results(fed, later) == []  # the close sent what was due
    updates = await _updates(instance)
    assert len(updates) == len(before_close) + 1
    assert "closed" in updates[-1]["object"]
    assert _counts(updates[-1]) == ([("Ja", 8), ("Nee", 5)], 13)
