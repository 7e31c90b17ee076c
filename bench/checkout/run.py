"""Checkout benchmark: checkouts/s and p50/p99 at 50 concurrent clients, and checkout -> PAID.

On the production backends: a throwaway PostgreSQL database (created here,
dropped at the end), Redis (carts and pub/sub; its database is flushed first)
and RabbitMQ (events; the queues of commerce.payments, commerce.orders and
catalog.search-indexer are deleted before and after). It serves catalog and
commerce with uvicorn on loopback ports in this process, sharing one platform,
runs the payments worker beside them, creates PRODUCTS products with ample
stock through catalog's createProduct, and drives commerce over HTTP with
aiohttp, one connection per client, each client a customer of its own:
  baseline  { __typename } and { cart { itemCount } } (signed in) at the same
            concurrency: what HTTP + auth + GraphQL, and a Redis read, cost
  checkout  each client loops: addToCart for 1-2 products (1-2 units each),
            then checkout with a fresh idempotency key and card 4242424242424242
After a warm-up, a request counts towards the rate when it ends in the measured
window; its latency is kept when it began in it. Latency runs from sending the
request to its last byte received. checkout -> PAID runs from a checkout's reply
to the PAID message commerce publishes on Redis for that order, stamped by a
thread that listens to every order's channel (status_feed.py); orders not heard
PAID within --paid-timeout are counted as unpaid. "PAID during the window" sets
the rate at which orders became PAID while the load ran against the checkout
rate: when it is lower, a backlog grows and checkout -> PAID grows with the
length of the run. "where checkout -> PAID goes" splits the way into stages
from commerce's own timestamps (stages.py). Last, each product's stock in
catalog is checked against the units of the orders that hold it (audit.py).

Servers, worker and clients share one process and one event loop, so the
figures are those of one commerce process, one catalog process and one worker
squeezed onto one core: compare them with the baseline, not with other machines.

    .venv/bin/python bench/checkout/run.py [--clients 50] [--seconds 20] [--warmup 3]
        [--checkouts N] [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/14] [--amqp-url amqp://guest:guest@127.0.0.1:5672/]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import secrets
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from audit import read_ledger, stock_mismatches
from backends import Credentials, Unavailable, delete_queues, flush_redis, throwaway_database
from load import Reply, Series, Window, bearer, body, drive, percentile, send
from shop import Shop, create_products, open_shop, stock_levels
from stages import paid_stages
from status_feed import StatusFeed

from subgraphs.platform.settings import Settings

PRODUCTS = 20
STOCK = 1_000_000
BASELINE_SECONDS = 5.0
CALM_SECONDS = 5.0
CARD = {"cardNumber": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123"}
FLOOR = "{ __typename }"
CART = "{ cart { itemCount } }"
ADD = (
    "mutation A($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, "
    "quantity: $quantity) { cart { itemCount } errors { code } } }"
)
CHECKOUT = (
    "mutation C($input: CheckoutInput!) { checkout(input: $input) { order { id status "
    "lines { product { id } quantity } } errors { code } } }"
)


@dataclass(frozen=True)
class Placed:
    order_id: str
    replied: float  # perf_counter when the checkout's reply was read
    measured: bool  # began in the measured window
    units: Counter[str]


@dataclass
class Checkouts:
    adds: Series
    checkouts: Series
    placed: list[Placed]


class LogTally(logging.Handler):
    """Counts warnings and errors by logger; shows the first few as they happen."""

    def __init__(self, shown: int = 5) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.cancelled = 0  # consumers whose queue someone deleted under them
        self._shown = shown
        self._echo = logging.StreamHandler(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}"] += 1
        if "cancelled by the broker" in record.getMessage():
            self.cancelled += 1
        if self.counts.total() <= self._shown:
            self._echo.handle(record)


def user_error(reply: Reply, field: str) -> str | None:
    payload: dict[str, Any] = (reply.data or {}).get(field) or {}
    errors = payload.get("errors") or []
    return str(errors[0]["code"]) if errors else None


async def baseline(
    session: aiohttp.ClientSession, shop: Shop, tokens: list[str], query: str, seconds: float
) -> Series:
    window = Window(warmup=1.0, seconds=seconds)
    series = Series(window)
    payload = body(query)

    async def client(number: int) -> None:
        headers = bearer(tokens[number])
        while window.running():
            series.record(await send(session, shop.commerce_url, payload, headers))

    await drive(len(tokens), client)
    return series


async def checkout_load(
    session: aiohttp.ClientSession,
    shop: Shop,
    tokens: list[str],
    products: list[str],
    args: argparse.Namespace,
) -> Checkouts:
    window = Window(warmup=args.warmup, seconds=args.seconds)
    result = Checkouts(Series(window), Series(window, limit=args.checkouts), [])

    async def client(number: int) -> None:
        shuffle = random.Random(number)  # noqa: S311 - the shape of the load, not a secret
        headers = bearer(tokens[number])
        while window.running():
            for product_id in shuffle.sample(products, shuffle.randint(1, 2)):
                variables = {"productId": product_id, "quantity": shuffle.randint(1, 2)}
                reply = await send(session, shop.commerce_url, body(ADD, variables), headers)
                result.adds.record(reply, user_error(reply, "addToCart"))
            variables = {"input": {"idempotencyKey": str(uuid.uuid4()), "paymentMethod": CARD}}
            reply = await send(session, shop.commerce_url, body(CHECKOUT, variables), headers)
            error = user_error(reply, "checkout")
            measured = result.checkouts.record(reply, error)
            if reply.data is not None and error is None:
                order = reply.data["checkout"]["order"]
                units = Counter(
                    {line["product"]["id"]: line["quantity"] for line in order["lines"]}
                )
                result.placed.append(Placed(order["id"], reply.ended, measured, units))

    await drive(len(tokens), client)
    return result


def row(name: str, series: Series) -> str:
    return (
        f"{name:<30} {series.done:>7} {series.errors.total():>6} {series.rate:>8.1f} "
        f"{series.ms(50):>8.1f} {series.ms(99):>8.1f}"
    )


def report(
    floors: list[tuple[str, Series]], run: Checkouts, feed: StatusFeed, unpaid: set[str]
) -> list[str]:
    header = f"{'request':<30} {'ok':>7} {'errors':>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    lines = [header, "-" * len(header)]
    lines += [row(f"baseline {name}", series) for name, series in floors]
    lines += [row("addToCart", run.adds), row("checkout", run.checkouts)]
    waits = [
        paid - p.replied
        for p in run.placed
        if p.measured and (paid := feed.arrived("PAID", p.order_id)) is not None
    ]
    lines.append(
        f"{'checkout -> PAID':<30} {len(waits):>7} {len(unpaid):>6} {'':>8} "
        f"{1000 * percentile(waits, 50):>8.1f} {1000 * percentile(waits, 99):>8.1f}"
    )
    floor = floors[0][1].ms(50)
    lines.append("")
    lines.append(
        f"checkout p50 is {run.checkouts.ms(50) - floor:+.1f} ms over the {floors[0][0]} floor "
        f"({run.checkouts.ms(50) / floor:.1f}x); addToCart {run.adds.ms(50) - floor:+.1f} ms"
    )
    lines += paid_flow(run, feed)
    early = sum(1 for wait in waits if wait < 0)
    if early:
        lines.append(f"{early} orders were heard PAID before their checkout reply was read")
    for name, series in (("addToCart", run.adds), ("checkout", run.checkouts)):
        if series.errors:
            lines.append(f"{name} errors: {dict(series.errors.most_common())}")
    return lines


def calm_line(calm: Checkouts, feed: StatusFeed) -> str:
    waits = [
        paid - p.replied
        for p in calm.placed
        if p.measured and (paid := feed.arrived("PAID", p.order_id)) is not None
    ]
    return (
        f"one client, idle pipeline: {len(waits)} checkouts, checkout p50 "
        f"{calm.checkouts.ms(50):.1f} ms; checkout -> PAID p50 {1000 * percentile(waits, 50):.1f}"
        f" ms, p99 {1000 * percentile(waits, 99):.1f} ms"
    )


def paid_flow(run: Checkouts, feed: StatusFeed) -> list[str]:
    """Whether orders became PAID as fast as they were placed while the load ran."""
    window = run.checkouts.window
    paid = [t for p in run.placed if (t := feed.arrived("PAID", p.order_id)) is not None]
    paid_in_window = sum(1 for t in paid if window.opens <= t <= window.closes)
    waiting = sum(1 for p in run.placed if p.replied <= window.closes) - sum(
        1 for t in paid if t <= window.closes
    )
    lines = [
        f"PAID during the window: {paid_in_window / window.seconds:.1f}/s against "
        f"{run.checkouts.rate:.1f} checkouts/s; {waiting} orders not yet PAID at its end"
    ]
    if paid and max(paid) > window.closes:
        lines.append(
            f"  the last of them became PAID {max(paid) - window.closes:.1f} s after the end"
        )
    return lines


async def bench(args: argparse.Namespace, shop: Shop) -> list[str]:
    connector = aiohttp.TCPConnector(limit=args.clients + 10)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        products = await create_products(session, shop, PRODUCTS, STOCK)
        tag = secrets.token_hex(3)
        tokens = [shop.token(f"bench-{tag}-{number}") for number in range(args.clients)]
        floors = []
        for query in (FLOOR, CART):
            floors.append((query, await baseline(session, shop, tokens, query, BASELINE_SECONDS)))
        with StatusFeed(args.redis_url) as feed:
            run = await checkout_load(session, shop, tokens, products, args)
            unpaid = await feed.wait_for(
                "PAID", [p.order_id for p in run.placed], args.paid_timeout
            )
            lines = report(floors, run, feed, unpaid)
            # The same path with the pipeline idle: what one customer waits for PAID
            # when no backlog stands in front of their order.
            calm_args = argparse.Namespace(**{**vars(args), "seconds": CALM_SECONDS})
            calm_args.warmup, calm_args.checkouts = 0.5, None
            calm = await checkout_load(session, shop, tokens[:1], products, calm_args)
            await feed.wait_for("PAID", [p.order_id for p in calm.placed], args.paid_timeout)
            lines.append(calm_line(calm, feed))
        ledger = await read_ledger(shop.commerce)
        stock = await stock_levels(session, shop, products)
    stages = await paid_stages(shop.commerce, [p.order_id for p in run.placed if p.measured])
    lines.append(f"{'where checkout -> PAID goes':<56} {'p50 ms':>8} {'p99 ms':>8}")
    lines += [f"  {s.name:<54} {s.ms(50):>8.1f} {s.ms(99):>8.1f}" for s in stages]
    seen: Counter[str] = Counter()
    for placed in [*run.placed, *calm.placed]:
        seen.update(placed.units)
    wrong = stock_mismatches(STOCK, stock, ledger, seen)
    lines.append(f"orders by status: {dict(sorted(ledger.statuses.items()))}")
    orders = len(run.placed) + len(calm.placed)
    lines.append(
        f"stock ({PRODUCTS} products, {seen.total()} units sold in {orders} orders): "
        + ("OK" if not wrong else f"{len(wrong)} MISMATCHES")
    )
    lines += [f"  {line}" for line in wrong]
    return lines


async def run(args: argparse.Namespace) -> None:
    credentials = Credentials.generate()
    async with throwaway_database(args.postgres_url) as database:
        redis_version = await flush_redis(args.redis_url)
        with tempfile.TemporaryDirectory(prefix="shopgraph-bench-checkout-") as directory:
            settings = Settings(
                data_dir=Path(directory),
                database_url=database.url,
                redis_url=args.redis_url,
                amqp_url=args.amqp_url,
                jwt_private_key=credentials.jwt_private_key,
                service_token=credentials.service_token,
            )
            delays = settings.bus_retry_delays_seconds
            broker = await delete_queues(args.amqp_url, delays)
            print(
                f"python {platform.python_version()} on {os.cpu_count()} cpus; "
                f"PostgreSQL {database.server_version}; Redis {redis_version}; {broker}"
            )
            print(
                f"{args.clients} clients; {args.warmup:g} s warm-up, then {args.seconds:g} s"
                + (f" or {args.checkouts} checkouts" if args.checkouts else "")
                + f"; baselines {BASELINE_SECONDS:g} s each; {PRODUCTS} products x {STOCK:,} units"
            )
            try:
                async with open_shop(settings) as shop:
                    lines = await bench(args, shop)
            finally:
                await delete_queues(args.amqp_url, delays)
    print()
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent customers")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--checkouts", type=int, help="end the window after this many checkouts")
    parser.add_argument(
        "--paid-timeout", type=float, default=20.0, help="seconds to wait for PAID after the load"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "SHOPGRAPH_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
        help="an existing database to connect to while creating the throwaway one",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SHOPGRAPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="its database is flushed before the run",
    )
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("SHOPGRAPH_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
    )
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0:
        sys.exit("--clients must be at least 1, --seconds positive, --warmup not negative")
    tally = LogTally()
    logging.basicConfig(level=logging.WARNING, handlers=[tally])
    try:
        asyncio.run(run(args))
    except Unavailable as reason:
        sys.exit(f"cannot run: {reason}")
    if tally.counts:
        print(f"log records at WARNING and above: {dict(tally.counts.most_common())}")
    if tally.cancelled:
        print(
            f"WARNING: RabbitMQ cancelled {tally.cancelled} of this run's consumers: their queues "
            "were deleted during the run, most likely by another shopgraph test or bench on this "
            "broker (same queue names). Its events may have been lost or taken; the PAID "
            "figures are not valid. Run again with the broker to itself, or pass --amqp-url "
            "with a vhost of its own."
        )


if __name__ == "__main__":
    main()
