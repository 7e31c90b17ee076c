"""The search index follows the catalog through events, and loses nothing when it fails."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from subgraphs.catalog import indexer
from subgraphs.catalog.events import product_event, stock_changed
from subgraphs.catalog.products import products_by_id
from subgraphs.catalog.search.port import SearchBackend, SearchDocument, SearchQuery
from subgraphs.platform.events import InProcessBus
from tests.subgraphs.catalog.conftest import CatalogSubgraph


class FailingFirst:
    """A search backend whose first `failures` writes fail, as a server that is down would."""

    def __init__(self, backend: SearchBackend, failures: int) -> None:
        self.backend = backend
        self.failures = failures
        self.attempts = 0

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("search server unavailable")
        await self.backend.index(documents)

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)


async def _total(backend: SearchBackend) -> int:
    return (await backend.search(SearchQuery(text="", first=1))).total


async def test_changes_reach_the_index_through_events(catalog: CatalogSubgraph) -> None:
    product = (await catalog.create(name="Trail Running Shoes"))["product"]
    await catalog.indexed()
    page = await catalog.services.search.search(SearchQuery(text="trail"))
    assert [hit.id for hit in page.hits] == [product["id"]]

    await catalog.query(
        "mutation D($id: ID!) { deleteProduct(id: $id) { deletedId } }",
        {"id": product["id"]},
        catalog.staff_token,
    )
    await catalog.indexed()
    assert (await catalog.services.search.search(SearchQuery(text="trail"))).hits == ()


async def test_a_failed_index_write_is_retried_until_it_succeeds(
    catalog: CatalogSubgraph, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = (await catalog.create(name="Rain Jacket"))["product"]["id"]
    await catalog.indexed()
    await catalog.services.search.clear()

    bus = InProcessBus()
    flaky = FailingFirst(catalog.services.search, failures=2)
    monkeypatch.setattr(indexer, "RETRY_PAUSE_SECONDS", 0.01)
    found = await products_by_id(catalog.services.database, [product])
    # FailingFirst wraps a real backend and forwards only what the indexer calls.
    async with indexer.running_indexer(catalog.services.database, flaky, bus):  # type: ignore[arg-type]
        await bus.publish([product_event("product.updated", found[product])])
        for _ in range(200):
            if await _total(catalog.services.search) == 1:
                break
            await asyncio.sleep(0.01)
    await bus.close()
    assert flaky.attempts == 3
    assert await _total(catalog.services.search) == 1


async def test_reindex_rebuilds_the_whole_index(catalog: CatalogSubgraph) -> None:
    for n in range(5):
        await catalog.create(name=f"Mug {n}")
    await catalog.indexed()
    await catalog.services.search.clear()
    assert await _total(catalog.services.search) == 0
    progress: list[tuple[int, int]] = []
    count = await indexer.reindex_all(
        catalog.services.database,
        catalog.services.search,
        lambda done, total: progress.append((done, total)),
    )
    assert count == 5
    assert progress[-1] == (5, 5)
    assert await _total(catalog.services.search) == 5


class Counting:
    """A search backend that counts the documents written to it."""

    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.written: list[str] = []  # the id of each document written

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        self.written += [document.id for document in documents]
        await self.backend.index(documents)

    def __getattr__(self, name: str) -> object:
        return getattr(self.backend, name)


async def test_only_stock_changes_across_zero_rewrite_the_document(
    catalog: CatalogSubgraph,
) -> None:
    product = (await catalog.create(name="Tent", stock=2))["product"]["id"]
    last = (await catalog.create(name="Stove", stock=2))["product"]["id"]
    await catalog.indexed()
    found = await products_by_id(catalog.services.database, [last])
    bus = InProcessBus()
    counting = Counting(catalog.services.search)
    events = [
        stock_changed(product, 1, -1, "reserved"),
        stock_changed(product, 0, -1, "reserved"),  # sold out: written
        stock_changed(product, 3, 3, "released"),  # back in stock: written
        stock_changed(product, 2, -1, "reserved"),
        # Delivered after all the others (one consumer, in order): the end of the run.
        product_event("product.updated", found[last]),
    ]
    # Counting wraps a real backend and forwards only what the indexer calls.
    async with indexer.running_indexer(catalog.services.database, counting, bus):  # type: ignore[arg-type]
        await bus.publish(events)
        for _ in range(500):
            if last in counting.written:
                break
            await asyncio.sleep(0.01)
    await bus.close()
    assert counting.written == [product, product, last]
    assert [indexer.changes_the_index(event) for event in events] == [
        False,
        True,
        True,
        False,
        True,
    ]
