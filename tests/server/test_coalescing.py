"""Coalesced lookups: keys asked for together share one fetch; each caller gets its own
value (None when missing); a failed fetch fails every caller in it; a lookup made after a
fetch was sent is not answered by it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from server.coalescing import Coalescer, Flushes


class Source:
    def __init__(self) -> None:
        self.data = {"a": 1, "b": 2}
        self.calls: list[list[str]] = []
        self.fail = False

    async def fetch(self, keys: list[str]) -> Mapping[str, int]:
        self.calls.append(sorted(keys))
        snapshot = dict(self.data)  # what the statement sees when it starts
        await asyncio.sleep(0.01)
        if self.fail:
            raise ConnectionError("database away")
        return {key: snapshot[key] for key in keys if key in snapshot}


async def test_lookups_made_together_share_one_fetch() -> None:
    source = Source()
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    results = await asyncio.gather(*(lookup.get(key) for key in ["a", "b", "a", "missing"] * 5))
    assert results == [1, 2, 1, None] * 5
    assert source.calls == [["a", "b", "missing"]]


async def test_a_failed_fetch_fails_every_caller_and_the_next_one_runs_again() -> None:
    source = Source()
    source.fail = True
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    results = await asyncio.gather(lookup.get("a"), lookup.get("b"), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    source.fail = False
    assert await lookup.get("a") == 1


async def test_a_lookup_after_the_fetch_was_sent_sees_newer_data() -> None:
    source = Source()
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    first = asyncio.create_task(lookup.get("a"))
    await asyncio.sleep(0.001)  # the first fetch is on its way
    source.data["a"] = 10
    second = await lookup.get("a")
    assert await first == 1
    assert second == 10
    assert len(source.calls) == 2


@pytest.mark.parametrize("count", [1, 300])
async def test_many_keys_are_split_into_bounded_fetches(count: int) -> None:
    source = Source()
    source.data = {str(i): i for i in range(count)}
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    results = await asyncio.gather(*(lookup.get(str(i)) for i in range(count)))
    assert results == list(range(count))
    assert all(len(call) <= 256 for call in source.calls)


async def test_a_lookup_queued_while_every_flush_is_ending_is_still_answered() -> None:
    source = Source()
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    # fill every flush slot, then ask again at the moment they all finish
    first = [asyncio.create_task(lookup.get(str(i))) for i in range(8)]
    await asyncio.gather(*first)
    late = await asyncio.wait_for(lookup.get("a"), timeout=2)
    assert late == 1


async def test_flushes_never_exceed_their_limit_and_all_finish() -> None:
    running = 0
    peak = 0

    async def flush() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.005)
        running -= 1

    flushes = Flushes(flush, 2)
    for _ in range(10):
        flushes.start()
    await asyncio.sleep(0.05)
    assert peak <= 2 and running == 0
    flushes.start()  # slots are free again
    await asyncio.sleep(0.02)
    assert peak <= 2


async def test_keys_asked_during_a_fetch_go_together_in_the_next_one() -> None:
    source = Source()
    source.data = {str(i): i for i in range(600)}
    lookup: Coalescer[str, int] = Coalescer(source.fetch)
    first = asyncio.create_task(lookup.get("0"))
    await asyncio.sleep(0.001)  # the first fetch is on its way
    later = [asyncio.create_task(lookup.get(str(i))) for i in range(1, 6)]
    await asyncio.sleep(0)
    assert len(source.calls) == 1  # no second statement beside the first for a few keys
    assert await first == 0 and await asyncio.gather(*later) == [1, 2, 3, 4, 5]
    assert source.calls == [["0"], sorted(str(i) for i in range(1, 6))]
    # a full batch waiting starts more statements at once, before the first returns
    source.calls.clear()
    head = asyncio.create_task(lookup.get("0"))
    await asyncio.sleep(0.001)
    crowd = [asyncio.create_task(lookup.get(str(i))) for i in range(1, 300)]
    await asyncio.sleep(0.001)
    assert len(source.calls) >= 2 and all(len(call) <= 256 for call in source.calls)
    assert not head.done()
    assert await head == 0 and await asyncio.gather(*crowd) == list(range(1, 300))
