"""`SHOPGRAPH_ORDER_JOBS=worker`: commerce leaves payment outcomes and cart emptying to
`shopgraph worker orders`, whose jobs (run here beside the app, on the same core) pay
and fail orders as commerce's own would."""

from __future__ import annotations

from subgraphs.commerce.background import running_order_jobs
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.settings import Settings
from tests.subgraphs.commerce.conftest import DECLINED, open_shop


async def test_the_orders_worker_pays_and_fails_orders_for_commerce(settings: Settings) -> None:
    async with (
        open_shop(settings, commerce=CommerceSettings(order_jobs="worker")) as shop,
        running_order_jobs(shop.commerce),
    ):
        ann, bob = shop.token("ann"), shop.token("bob")
        lamp = await shop.product(stock=5, name="Lamp")
        await shop.add(ann, lamp, 2)
        await shop.add(bob, lamp, 1)

        paid = await shop.checkout(ann, key="ann-1")
        failed = await shop.checkout(bob, key="bob-1", number=DECLINED)

        assert paid["errors"] == []
        assert failed["errors"] == []
        assert (await shop.settled(paid["order"]["id"], ann))["status"] == "PAID"
        assert (await shop.settled(failed["order"]["id"], bob))["status"] == "PAYMENT_FAILED"
        assert await shop.stock(lamp) == 3  # ann's 2 sold, bob's 1 back on sale
        assert await shop.commerce.carts.lines("ann") == []
