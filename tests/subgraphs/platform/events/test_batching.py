"""The Batcher: items handed in at once are handled together, and each caller gets its own
item's outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from subgraphs.platform.events.batching import Batcher


class Recorder:
    """A batch handler that notes each batch and fails on the items named bad."""

    def __init__(self, bad: frozenset[int] = frozenset()) -> None:
        self.batches: list[list[int]] = []
        self.bad = bad
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: Sequence[int]) -> None:
        self.batches.append(list(items))
        await self.release.wait()
        failed = self.bad & set(items)
        if failed:
            raise ValueError(f"bad items {sorted(failed)}")


async def test_one_item_alone_is_handled_at_once() -> None:
    recorder = Recorder()
    batcher = Batcher(recorder)
    await batcher.handle(1)
    await batcher.handle(2)
    assert recorder.batches == [[1], [2]]


async def test_items_handed_in_while_a_batch_runs_make_the_next_batch() -> None:
    recorder = Recorder()
    recorder.release.clear()
    batcher = Batcher(recorder, max_size=3)
    first = asyncio.create_task(batcher.handle(0))
    await asyncio.sleep(0)  # the first batch starts, and waits
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.handle(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    recorder.release.set()
    await asyncio.gather(first, *rest)
    assert recorder.batches == [[0], [1, 2, 3], [4, 5]]


async def test_a_failed_batch_fails_only_its_bad_items() -> None:
    recorder = Recorder(bad=frozenset({2}))
    recorder.release.clear()
    batcher = Batcher(recorder)
    blocker = asyncio.create_task(batcher.handle(0))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    calls = [asyncio.create_task(batcher.handle(n)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    recorder.release.set()
    await blocker
    results = await asyncio.gather(*calls, return_exceptions=True)

    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], ValueError)
    # The batch of three failed, then each was handled alone.
    assert recorder.batches == [[0], [1, 2, 3], [1], [2], [3]]


async def test_a_single_item_failing_is_not_tried_twice() -> None:
    recorder = Recorder(bad=frozenset({7}))
    batcher = Batcher(recorder)
    with pytest.raises(ValueError, match="bad items"):
        await batcher.handle(7)
    assert recorder.batches == [[7]]


def test_a_batch_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="max_size"):
        Batcher(Recorder(), max_size=0)
