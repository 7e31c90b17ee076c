"""Checkout benchmark through the router: checkouts/s, p50/p99, and checkout -> PAID.

On the production backends: a throwaway PostgreSQL database (created here,
dropped at the end), Redis (carts and pub/sub; its database is flushed first)
and RabbitMQ (events; every registered consumer group's queues are deleted
before and after; give the run a vhost of its own). `--layout processes` (the
default) starts the programs compose.yaml runs, each a process of its own:
users, catalog, commerce, the router, the payments worker, the orders worker
and the outbox relay; `--layout single` runs `shopgraph dev`, all of it in one
process (layout.py). It creates PRODUCTS products through
the router and drives the router with aiohttp, each customer a user of its own:
  baseline  { __typename } and { cart { itemCount } } (signed in) at --clients
            concurrency: what HTTP + router + auth + GraphQL, and a Redis read, cost
  closed    (default) --clients customers each loop: addToCart for 1-2 products
            (1-2 units each), then checkout with a fresh idempotency key and card
            4242424242424242. Latency runs from sending a request to its reply.
  open      (--rate N) N arrivals a second on a fixed schedule, each a new customer
            doing one addToCart then checkout, whatever the replies' pace. Latency
            runs from the scheduled time (addToCart) and from the addToCart reply
            (checkout, which is due then), so a stalled server cannot hide its
            queue (no coordinated omission).
After a warm-up, a request counts towards the rate when it ends in the measured
window; its latency is kept when it was due in it. checkout -> PAID runs from a
checkout's reply to the PAID message commerce publishes on Redis for that
order, stamped by a thread that listens to every order's channel
(status_feed.py); orders not heard PAID within --paid-timeout are unpaid.
"PAID during the window" is the rate at which orders became PAID while the
load ran: lower than the checkout rate, a backlog grows. "where checkout ->
PAID goes" splits the way into stages from commerce's own timestamps
(stages.py). Last the audit (audit.py): stock against orders (oversold),
double charges, and orders in a state a bench order should not end in.

The bench, its clients and every server share this machine's cores: compare
figures with the baseline of the same run, not with other machines. The last
line sums the run up in a fixed format for scripts.

    .venv/bin/python bench/checkout/run.py [--layout processes|single]
        [--clients 50 | --rate N] [--seconds 20] [--warmup 3] [--first-port 22000]
        [--postgres-url ...] [--redis-url redis://127.0.0.1:6379/2]
        [--amqp-url amqp://guest:guest@127.0.0.1:5672/h2] [--profile DIR]
Any `SHOPGRAPH_BENCH_SET_X=v` in the environment is passed to every server
process as `SHOPGRAPH_X=v` (pool sizes, concurrency) to try a setting.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from audit import Ledger, oversold, read_ledger, stock_mismatches
from backends import Credentials, Unavailable, delete_queues, flush_redis, throwaway_database
from cpu import per_checkout, snapshot
from layout import LAYOUTS, Shop, open_shop
from load import Reply, Series, Window, bearer, body, drive, percentile, send
from profiling import profile
from shop import create_products, stock_levels
from stages import paid_stages
from status_feed import StatusFeed

from subgraphs.commerce.domain import OrderStatus
from subgraphs.platform.settings import Settings

PRODUCTS = 20
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
LOG_LEVEL = re.compile(rb"\b(WARNING|ERROR|CRITICAL)\b")


@dataclass(frozen=True)
class Placed:
    order_id: str
    replied: float  # perf_counter when the checkout's reply was read
    measured: bool  # due in the measured window
    units: Counter[str]


@dataclass
class Checkouts:
    adds: Series
    checkouts: Series
    placed: list[Placed]
    # Idempotency keys of checkouts that got no answer (timed out, cut, or an error from
    # the router while commerce went on): their orders may exist, unseen by the client.
    unanswered: list[str] = field(default_factory=list)


def user_error(reply: Reply, field: str) -> str | None:
    payload: dict[str, Any] = (reply.data or {}).get(field) or {}
    errors = payload.get("errors") or []
    return str(errors[0]["code"]) if errors else None


async def add_then_checkout(
    session: aiohttp.ClientSession,
    shop: Shop,
    headers: dict[str, str],
    adds: list[tuple[str, int]],
    result: Checkouts,
    due: float | None = None,
) -> None:
    """One customer's visit; with `due`, latencies run from when each request was due."""
    for product_id, quantity in adds:
        variables = {"productId": product_id, "quantity": quantity}
        reply = await send(session, shop.router_url, body(ADD, variables), headers)
        if due is not None:
            reply = replace(reply, began=due)
            due = reply.ended
        result.adds.record(reply, user_error(reply, "addToCart"))
    key = str(uuid.uuid4())
    variables = {"input": {"idempotencyKey": key, "paymentMethod": CARD}}
    reply = await send(session, shop.router_url, body(CHECKOUT, variables), headers)
    if due is not None:
        reply = replace(reply, began=due)
    error = user_error(reply, "checkout")
    measured = result.checkouts.record(reply, error)
    if reply.data is None:
        result.unanswered.append(key)
    if reply.data is not None and error is None:
        order = reply.data["checkout"]["order"]
        units = Counter({line["product"]["id"]: line["quantity"] for line in order["lines"]})
        result.placed.append(Placed(order["id"], reply.ended, measured, units))


async def baseline(
    session: aiohttp.ClientSession, shop: Shop, tokens: list[str], query: str, seconds: float
) -> Series:
    window = Window(warmup=1.0, seconds=seconds)
    series = Series(window)
    payload = body(query)

    async def client(number: int) -> None:
        headers = bearer(tokens[number])
        while window.running():
            series.record(await send(session, shop.router_url, payload, headers))

    await drive(len(tokens), client)
    return series


async def closed_loop(
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
            adds = [
                (product_id, shuffle.randint(1, 2))
                for product_id in shuffle.sample(products, shuffle.randint(1, 2))
            ]
            await add_then_checkout(session, shop, headers, adds, result)

    await drive(len(tokens), client)
    return result


async def open_loop(
    session: aiohttp.ClientSession, shop: Shop, products: list[str], args: argparse.Namespace
) -> Checkouts:
    """`args.rate` customers a second, each arriving on schedule whatever came before."""
    arrivals = round((args.warmup + args.seconds) * args.rate)
    tag = secrets.token_hex(3)
    headers = [bearer(shop.token(f"bench-{tag}-open-{n}")) for n in range(arrivals)]
    shuffle = random.Random(args.rate)  # noqa: S311 - the shape of the load, not a secret
    visits = [[(shuffle.choice(products), shuffle.randint(1, 2))] for _ in range(arrivals)]
    window = Window(warmup=args.warmup, seconds=args.seconds)
    result = Checkouts(Series(window), Series(window), [])
    tasks: set[asyncio.Task[None]] = set()
    for number in range(arrivals):
        due = window.started + number / args.rate
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(
            add_then_checkout(session, shop, headers[number], visits[number], result, due)
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    # Every visit still under way when the schedule ends is waited for (the client
    # timeout bounds it): its order would otherwise be missing from the replies.
    if tasks:
        await asyncio.gather(*tasks)
    return result


def row(name: str, series: Series) -> str:
    return (
        f"{name:<30} {series.done:>7} {series.errors.total():>6} {series.rate:>8.1f} "
        f"{series.ms(50):>8.1f} {series.ms(99):>8.1f}"
    )


def waits_to_paid(run: Checkouts, feed: StatusFeed) -> list[float]:
    return [
        paid - p.replied
        for p in run.placed
        if p.measured and (paid := feed.arrived("PAID", p.order_id)) is not None
    ]


def paid_rate(run: Checkouts, feed: StatusFeed) -> float:
    window = run.checkouts.window
    paid = [t for p in run.placed if (t := feed.arrived("PAID", p.order_id)) is not None]
    return sum(1 for t in paid if window.opens <= t <= window.closes) / window.seconds


def report(
    floors: list[tuple[str, Series]], run: Checkouts, feed: StatusFeed, unpaid: set[str]
) -> list[str]:
    header = f"{'request':<30} {'ok':>7} {'errors':>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    lines = [header, "-" * len(header)]
    lines += [row(f"baseline {name}", series) for name, series in floors]
    lines += [row("addToCart", run.adds), row("checkout", run.checkouts)]
    waits = waits_to_paid(run, feed)
    lines.append(
        f"{'checkout -> PAID':<30} {len(waits):>7} {len(unpaid):>6} {'':>8} "
        f"{1000 * percentile(waits, 50):>8.1f} {1000 * percentile(waits, 99):>8.1f}"
    )
    if floors:
        floor = floors[0][1].ms(50)
        lines.append("")
        lines.append(
            f"checkout p50 is {run.checkouts.ms(50) - floor:+.1f} ms over the {floors[0][0]} "
            f"floor ({run.checkouts.ms(50) / floor:.1f}x); addToCart "
            f"{run.adds.ms(50) - floor:+.1f} ms"
        )
    lines += paid_flow(run, feed)
    early = sum(1 for wait in waits if wait < 0)
    if early:
        lines.append(f"{early} orders were heard PAID before their checkout reply was read")
    for name, series in (("addToCart", run.adds), ("checkout", run.checkouts)):
        if series.errors:
            lines.append(f"{name} errors: {dict(series.errors.most_common())}")
    return lines


def paid_flow(run: Checkouts, feed: StatusFeed) -> list[str]:
    """Whether orders became PAID as fast as they were placed while the load ran."""
    window = run.checkouts.window
    paid = [t for p in run.placed if (t := feed.arrived("PAID", p.order_id)) is not None]
    waiting = sum(1 for p in run.placed if p.replied <= window.closes) - sum(
        1 for t in paid if t <= window.closes
    )
    lines = [
        f"PAID during the window: {paid_rate(run, feed):.1f}/s against "
        f"{run.checkouts.rate:.1f} checkouts/s; {waiting} orders not yet PAID at its end"
    ]
    if paid and max(paid) > window.closes:
        lines.append(
            f"  the last of them became PAID {max(paid) - window.closes:.1f} s after the end"
        )
    return lines


def calm_line(calm: Checkouts, feed: StatusFeed) -> str:
    waits = waits_to_paid(calm, feed)
    return (
        f"one client, idle pipeline: {len(waits)} checkouts, checkout p50 "
        f"{calm.checkouts.ms(50):.1f} ms; checkout -> PAID p50 {1000 * percentile(waits, 50):.1f}"
        f" ms, p99 {1000 * percentile(waits, 99):.1f} ms"
    )


def summary(run: Checkouts, feed: StatusFeed, oversold_units: int) -> str:
    waits = waits_to_paid(run, feed)
    return (
        f"checkout: {run.checkouts.rate:.1f}/s p50 {run.checkouts.ms(50):.1f} ms "
        f"p99 {run.checkouts.ms(99):.1f} ms; addToCart p99 {run.adds.ms(99):.1f} ms; "
        f"paid {paid_rate(run, feed):.1f}/s; checkout->PAID p99 "
        f"{1000 * percentile(waits, 99):.1f} ms; oversold {oversold_units}"
    )


async def bench(args: argparse.Namespace, shop: Shop) -> list[str]:
    connector = aiohttp.TCPConnector(limit=args.connections)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        products = await create_products(session, shop, PRODUCTS, args.stock)
        tag = secrets.token_hex(3)
        tokens = [shop.token(f"bench-{tag}-{number}") for number in range(args.clients)]
        floors = []
        if not args.no_baseline:
            for query in (FLOOR, CART):
                series = await baseline(session, shop, tokens, query, BASELINE_SECONDS)
                floors.append((query, series))
        with StatusFeed(args.redis_url) as feed:
            profilers = profile(shop, args.profile, args.warmup, args.seconds)
            cpu_before = snapshot(shop.processes)
            if args.rate:
                run = await open_loop(session, shop, products, args)
            else:
                run = await closed_loop(session, shop, tokens, products, args)
            # Over the whole load, warm-up included, as are its checkouts.
            cpu_lines = per_checkout(cpu_before, snapshot(shop.processes), len(run.placed))
            unpaid = await feed.wait_for(
                "PAID", [p.order_id for p in run.placed], args.paid_timeout
            )
            lines = report(floors, run, feed, unpaid)
            lines += cpu_lines
            # The same path with the pipeline idle: what one customer waits for PAID
            # when no backlog stands in front of their order.
            calm_args = argparse.Namespace(**{**vars(args), "seconds": CALM_SECONDS})
            calm_args.warmup, calm_args.checkouts = 0.5, None
            calm = await closed_loop(session, shop, tokens[:1], products, calm_args)
            await feed.wait_for("PAID", [p.order_id for p in calm.placed], args.paid_timeout)
            lines.append(calm_line(calm, feed))
            for profiler in profilers:
                profiler.wait()
        unanswered = [*run.unanswered, *calm.unanswered]
        ledger = await read_ledger(shop.commerce, shop.catalog, unanswered)
        stock = await stock_levels(session, shop, products)
    stages = await paid_stages(shop.commerce, [p.order_id for p in run.placed if p.measured])
    lines.append(f"{'where checkout -> PAID goes':<56} {'p50 ms':>8} {'p99 ms':>8}")
    lines += [f"  {s.name:<54} {s.ms(50):>8.1f} {s.ms(99):>8.1f}" for s in stages]
    lines += audit_lines(args, run, calm, ledger, stock)
    lines.append(summary(run, feed, oversold(args.stock, stock, ledger)))
    return lines


def audit_lines(
    args: argparse.Namespace, run: Checkouts, calm: Checkouts, ledger: Ledger, stock: dict[str, int]
) -> list[str]:
    seen: Counter[str] = Counter()
    for placed in [*run.placed, *calm.placed]:
        seen.update(placed.units)
    wrong = stock_mismatches(args.stock, stock, ledger, seen)
    orders = len(run.placed) + len(calm.placed)
    lines = [
        f"orders by status: {dict(sorted(ledger.statuses.items()))}",
        f"stock ({PRODUCTS} products, {seen.total()} units sold in {orders} orders): "
        + ("OK" if not wrong else f"{len(wrong)} MISMATCHES"),
        *(f"  {line}" for line in wrong),
        f"open checkout holds: {ledger.open_holds}, holding {ledger.in_holds.total()} units "
        "(checkouts that reserved and wrote no order; the sweeper gives them back)",
        f"checkouts without an answer: {len(run.unanswered) + len(calm.unanswered)}, of which "
        f"{ledger.unanswered_orders} made an order of {ledger.unanswered_units.total()} units "
        "(the client timed out or got an error while commerce went on; counted apart)",
        f"double charges: {ledger.double_charged}; orders in an unexpected state: "
        f"{dict(ledger.unexpected) or 0}",
        # Read after waiting up to --paid-timeout for every order to be PAID.
        f"orders still PENDING_PAYMENT after the wait: "
        f"{ledger.statuses[OrderStatus.PENDING_PAYMENT.value]} (an event lost on the way, "
        "or a backlog longer than --paid-timeout)",
    ]
    return lines


def child_log_lines(directory: Path) -> list[str]:
    counts = {}
    for log in sorted(directory.glob("*.log")):
        found = Counter(m.group(1).decode() for m in LOG_LEVEL.finditer(log.read_bytes()))
        if found:
            counts[log.stem] = dict(found)
    return [f"log lines at WARNING and above, by process: {counts}"] if counts else []


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
                f"python {platform.python_version()} on {os.cpu_count()} cpus, load "
                f"{' '.join(f'{n:.2f}' for n in os.getloadavg())}; PostgreSQL "
                f"{database.server_version}; Redis {redis_version}; {broker}"
            )
            load = f"{args.clients} clients"
            if args.rate:
                load = f"{args.rate:g} arrivals/s (open loop)"
            print(
                f"layout {args.layout}; {load}; {args.warmup:g} s warm-up, then {args.seconds:g} s"
                + (f" or {args.checkouts} checkouts" if args.checkouts else "")
                + f"; {PRODUCTS} products x {args.stock:,} units"
            )
            try:
                async with open_shop(
                    settings, args.layout, args.first_port, Path(directory), args.relays
                ) as shop:
                    lines = await bench(args, shop)
            finally:
                lines_after = child_log_lines(Path(directory))
                await delete_queues(args.amqp_url, delays)
    print()
    print("\n".join([*lines[:-1], *lines_after, lines[-1]]))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="processes")
    parser.add_argument("--clients", type=int, default=50, help="concurrent customers")
    parser.add_argument("--rate", type=float, help="open loop: arrivals (checkouts) per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--checkouts", type=int, help="end the window after this many checkouts")
    parser.add_argument("--stock", type=int, default=1_000_000, help="units of each product")
    parser.add_argument("--no-baseline", action="store_true", help="skip the two baselines")
    parser.add_argument("--relays", type=int, default=1, help="outbox worker processes")
    parser.add_argument("--connections", type=int, default=1000, help="client connection cap")
    parser.add_argument("--profile", type=Path, help="py-spy each server into this directory")
    parser.add_argument(
        "--paid-timeout", type=float, default=20.0, help="seconds to wait for PAID after the load"
    )
    parser.add_argument(
        "--first-port",
        type=int,
        default=int(os.environ.get("SHOPGRAPH_BENCH_FIRST_PORT", "22000")),
        help="the router listens here, users, catalog and commerce on the next ports",
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
        default=os.environ.get("SHOPGRAPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"),
        help="its database is flushed before the run",
    )
    parser.add_argument(
        "--amqp-url",
        default=os.environ.get("SHOPGRAPH_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/h2"),
    )
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.warmup < 0 or (args.rate or 1) <= 0:
        sys.exit("--clients must be at least 1, --seconds and --rate positive, --warmup >= 0")
    try:
        asyncio.run(run(args))
    except Unavailable as reason:
        sys.exit(f"cannot run: {reason}")


if __name__ == "__main__":
    main()
