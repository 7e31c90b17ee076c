"""A first deploy on RabbitMQ: events published before a consumer ever ran wait for it.

Catalog runs alone and lists products; then commerce starts (its product cache
never saw them being created) and a customer buys and pays; only then do social
and insights start for the first time. Every consumer group is in the registry
(shopgraph/subscriptions.py) that the relays declare before their first publish,
so each finds what was published before it existed: the cache has the products,
the purchase verifies the buyer's review, and insights counts the order and the
search catalog tracked.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import Table, func, select

from shopgraph.loopback import free_port, served
from shopgraph.registry import SUBGRAPHS
from shopgraph.subscriptions import subscriptions
from subgraphs.catalog.models import outbox as catalog_outbox
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.models import outbox as commerce_outbox
from subgraphs.commerce.payments.worker import running_payments_worker
from subgraphs.commerce.queues import PRODUCT_CACHE
from subgraphs.commerce.services import CommerceServices
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.database import Database
from subgraphs.platform.events.tracking import Tracker
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings
from subgraphs.social.subscriptions import CATALOG
from tests.graphql import execute
from tests.rabbitmq import delete_group_queues, on_production_backends
from tests.shopgraph.test_cli import _env
from tests.shopgraph.test_processes import _worker
from tests.subgraphs.commerce.conftest import Shop
from tests.subgraphs.commerce.helpers import eventually

pytestmark = pytest.mark.parametrize("backend", ["postgres"])

DAY = timedelta(days=1)
WAIT = 30.0  # a guard for a loaded machine; each wait ends as soon as its result is there
CREATE_PRODUCT = """
mutation C($input: ProductInput!) { createProduct(input: $input) { product { id } errors { code } } }"""
ADD_REVIEW = """
mutation Review($input: ReviewInput!) {
  addReview(input: $input) { review { id } errors { code } }
}"""
REVIEW = "query R($id: ID!) { review(id: $id) { verifiedPurchase author { id } } }"
TOGETHER = """
query T($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Product { id frequentlyBoughtTogether { id } } }
}"""
SEARCH = "query S($q: String!) { searchProducts(query: $q) { totalCount } }"
TERMS = """
query T($from: DateTime!, $to: DateTime!) {
  searchTerms(from: $from, to: $to) { query searches zeroResults }
}"""
SALES = """
query S($from: DateTime!, $to: DateTime!) {
  salesReport(from: $from, to: $to) { orders revenue { amount } }
}"""


@pytest.fixture
async def production(
    settings: Settings, redis_url: str, rabbitmq_url: str
) -> AsyncIterator[Settings]:
    """PostgreSQL, Redis and RabbitMQ, no Kafka, and no consumer group's queue yet."""
    async with on_production_backends(settings, redis_url, rabbitmq_url) as production:
        yield production


async def _unsent(database: Database, outbox: Table) -> int:
    async with database.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
    return count or 0


async def test_each_consumer_gets_what_was_published_before_it_first_ran(
    production: Settings,
) -> None:
    catalog_port, commerce_port, social_port, insights_port = (free_port() for _ in range(4))
    catalog_url = f"http://127.0.0.1:{catalog_port}/graphql"
    social_url = f"http://127.0.0.1:{social_port}/graphql"
    insights_url = f"http://127.0.0.1:{insights_port}/graphql"
    shared = SharedPlatform()
    async with AsyncExitStack() as stack:
        platform = await stack.enter_async_context(shared.open(production, subscriptions()))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        staff = platform.tokens.issue(Principal("staff-1", Role.STAFF))
        catalog = SUBGRAPHS["catalog"].create_app(production, shared.borrow)
        await stack.enter_async_context(served(catalog, catalog_port))
        kettle = await _product(http, catalog_url, staff, "Kettle", "20.00")
        cups = await _product(http, catalog_url, staff, "Cups", "4.50")
        # A search catalog tracks on the bus (no Kafka here) for insights' analytics.
        found = await http.post(
            catalog_url,
            json={"query": SEARCH, "variables": {"q": "zzqx nothing"}},
            headers={"x-shopgraph-session": "browser-1"},
        )
        assert found.json() == {"data": {"searchProducts": {"totalCount": 0}}}
        # Catalog's product.created events and its tracked search are published while
        # commerce, social and insights have never run.
        catalog_db = catalog.state.services.database
        await eventually(lambda: _unsent(catalog_db, catalog_outbox), lambda n: n == 0, WAIT)
        tracker = catalog.state.services.tracker
        await eventually(lambda: _sent(tracker), lambda n: n == 1, WAIT)

        commerce = create_commerce(
            production, shared.borrow, CommerceSettings(catalog_url=catalog_url)
        )
        await stack.enter_async_context(served(commerce, commerce_port))
        services: CommerceServices = commerce.state.services
        await stack.enter_async_context(running_payments_worker(services))
        shop = Shop(
            production,
            catalog_url,
            f"http://127.0.0.1:{commerce_port}/graphql",
            http,
            platform.tokens,
            services,
            staff,
        )
        # Nothing has asked catalog for them: the cache has them from the events alone.
        cached = await eventually(
            lambda: services.products.cache.get_many([kettle, cups]),
            lambda found: len(found) == 2,
            WAIT,
        )
        assert {p.id: (p.name, p.price, p.stock) for p in cached.values()} == {
            kettle: ("Kettle", Decimal("20.00"), 5),
            cups: ("Cups", Decimal("4.50"), 5),
        }

        buyer = f"buyer-{uuid.uuid4().hex[:8]}"
        token = shop.token(buyer)
        await shop.add(token, kettle, 1)
        await shop.add(token, cups, 2)
        order_id = (await shop.checkout(token))["order"]["id"]
        assert (await shop.settled(order_id, token, WAIT))["status"] == "PAID"
        # Placed and paid are relayed while social and insights have never run.
        await eventually(
            lambda: _unsent(services.database, commerce_outbox), lambda n: n == 0, WAIT
        )

        social = SUBGRAPHS["social"].create_app(production, shared.borrow)
        await stack.enter_async_context(served(social, social_port))
        review_id = await _review(http, social_url, token, kettle)
        verified = await eventually(
            lambda: execute(http, REVIEW, {"id": review_id}, token, social_url),
            lambda body: body["data"]["review"]["verifiedPurchase"] is True,
            WAIT,
        )
        assert verified["data"]["review"] == {"verifiedPurchase": True, "author": {"id": buyer}}

        insights = SUBGRAPHS["insights"].create_app(production, shared.borrow)
        await stack.enter_async_context(served(insights, insights_port))
        reps = {"reps": [{"__typename": "Product", "id": kettle}]}
        together = await eventually(
            lambda: execute(http, TOGETHER, reps, staff, insights_url),
            lambda body: body["data"]["_entities"][0]["frequentlyBoughtTogether"] != [],
            WAIT,
        )
        assert together["data"]["_entities"] == [
            {"id": kettle, "frequentlyBoughtTogether": [{"id": cups}]}
        ]
        now = datetime.now(UTC)
        window = {"from": (now - DAY).isoformat(), "to": (now + DAY).isoformat()}
        sales = await eventually(
            lambda: execute(http, SALES, window, staff, insights_url),
            lambda body: body["data"]["salesReport"] != [],
            WAIT,
        )
        [point] = sales["data"]["salesReport"]
        assert (point["orders"], Decimal(point["revenue"]["amount"])) == (1, Decimal("29.00"))
        searched = await eventually(
            lambda: execute(http, TERMS, window, staff, insights_url),
            lambda body: body["data"]["searchTerms"] != [],
            WAIT,
        )
        assert searched["data"]["searchTerms"] == [
            {"query": "zzqx nothing", "searches": 1, "zeroResults": 1}
        ]


async def _sent(tracker: Tracker) -> int:
    return tracker.sent


async def _product(
    http: httpx.AsyncClient, catalog_url: str, staff: str, name: str, price: str
) -> str:
    values = {"name": name, "description": f"A {name.lower()}.", "price": price, "stock": 5}
    body = await execute(http, CREATE_PRODUCT, {"input": values}, staff, catalog_url)
    assert body["data"]["createProduct"]["errors"] == [], body
    product_id: str = body["data"]["createProduct"]["product"]["id"]
    return product_id


async def _review(http: httpx.AsyncClient, social_url: str, token: str, product_id: str) -> str:
    """The buyer's review of `product_id`, written once social knows the product."""

    async def add() -> dict[str, Any]:
        review = {"productId": product_id, "rating": 5, "comment": "Boils fast."}
        body = await execute(http, ADD_REVIEW, {"input": review}, token, social_url)
        payload: dict[str, Any] = body["data"]["addReview"]
        return payload

    added = await eventually(add, lambda payload: payload["errors"] == [], WAIT)
    review_id: str = added["review"]["id"]
    return review_id


def test_the_outbox_worker_declares_every_group_before_it_publishes(
    settings: Settings, rabbitmq_url: str
) -> None:
    """`SHOPGRAPH_OUTBOX_RELAY=worker`: catalog relays nothing itself, and its product
    waits in the outbox until `shopgraph worker outbox`, the only publisher, starts.
    It declares every registered group first: the groups of consumers that have never
    run (social's, commerce's product cache) hold the product.created."""
    relayed_elsewhere = settings.model_copy(
        update={"amqp_url": rabbitmq_url, "outbox_relay": "worker"}
    )
    asyncio.run(delete_group_queues(rabbitmq_url))
    try:
        asyncio.run(_list_a_product(relayed_elsewhere))
        env = {
            **_env(settings),
            "SHOPGRAPH_AMQP_URL": rabbitmq_url,
            "SHOPGRAPH_OUTBOX_RELAY": "worker",
        }
        with _worker(["worker", "outbox", "--subgraph", "catalog"], env, "outbox worker relaying"):
            asyncio.run(_until_relayed(relayed_elsewhere))
        waiting = asyncio.run(_waiting(rabbitmq_url, [CATALOG.group, PRODUCT_CACHE.group]))
    finally:
        asyncio.run(delete_group_queues(rabbitmq_url))
    assert waiting == {CATALOG.group: 1, PRODUCT_CACHE.group: 1}


async def _list_a_product(settings: Settings) -> None:
    port = free_port()
    catalog = SUBGRAPHS["catalog"].create_app(settings)
    async with served(catalog, port), httpx.AsyncClient(timeout=30) as http:
        staff = catalog.state.platform_tokens.issue(Principal("staff-1", Role.STAFF))
        await _product(http, f"http://127.0.0.1:{port}/graphql", staff, "Lamp", "12.00")
        assert await _unsent(catalog.state.services.database, catalog_outbox) == 1


async def _until_relayed(settings: Settings) -> None:
    database = Database(settings, "catalog")
    try:
        await eventually(lambda: _unsent(database, catalog_outbox), lambda n: n == 0, WAIT)
    finally:
        await database.close()


async def _waiting(url: str, queues: list[str]) -> dict[str, int]:
    """Messages ready in each queue, as the broker counts them."""
    connection = await aio_pika.connect(url)
    async with connection, connection.channel() as channel:
        counts = {}
        for queue in queues:
            # A passive declare may report 0 on RabbitMQ 3.10: redeclare as the bus does.
            declared = await channel.declare_queue(queue, durable=True)
            counts[queue] = declared.declaration_result.message_count or 0
    return counts
