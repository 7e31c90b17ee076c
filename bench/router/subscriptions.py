"""Subscription fan-out benchmark: one router process, 1,000 subscribers of one order.

Starts `shopgraph dev` (router, subgraphs and payments worker in one process, on
SQLite) in a subprocess, opens N WebSockets to its router's /graphql (one
aiohttp session), and follows orders through it: each order is placed and paid,
every socket subscribes to `orderStatusChanged { status user { username }
lines { product { name } } }` for it (one upstream at commerce, shared), then
staff ships and delivers it. After a warm-up order, each status change is timed from just before the
staff mutation is sent to the moment the last socket has the event (users and
catalog joined per event). The baseline is the same with one subscriber.
Memory per subscriber is the dev process's RSS growth from before the sockets
opened to after all were subscribed, divided by N.

    python bench/router/subscriptions.py [--subscribers 1000] [--orders 10] [--port P]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from run import wait_for

from shopgraph.loopback import free_port

STATUS = """subscription S($id: ID!) {
  orderStatusChanged(orderId: $id) { status user { username } lines { product { name } } }
}"""
STAFF_LOGIN = {"email": "staff@bench.example", "password": "bench staff password"}
MOVES = {"SHIPPED": "shipOrder", "DELIVERED": "deliverOrder"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS for the dev process")


class Subscribers:
    """N graphql-transport-ws sockets; each records when it saw (order, status)."""

    def __init__(self) -> None:
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.seen: dict[tuple[str, str], list[float]] = {}
        self.waiters: dict[tuple[str, str], tuple[int, asyncio.Event]] = {}
        self.readers: list[asyncio.Task[None]] = []

    async def open(self, session: aiohttp.ClientSession, url: str, token: str, count: int) -> None:
        for _ in range(count):
            ws = await session.ws_connect(url, protocols=("graphql-transport-ws",))
            payload = {"authorization": f"Bearer {token}"}
            await ws.send_str(
                orjson.dumps({"type": "connection_init", "payload": payload}).decode()
            )
            ack = orjson.loads((await ws.receive(10)).data)
            assert ack["type"] == "connection_ack", ack
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(self._read(ws)))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in ws:
            message = orjson.loads(frame.data)
            if message["type"] == "ping":
                await ws.send_str('{"type":"pong"}')
            elif message["type"] == "next":
                status = message["payload"]["data"]["orderStatusChanged"]["status"]
                key = (message["id"], status)
                times = self.seen.setdefault(key, [])
                times.append(time.perf_counter())
                want = self.waiters.get(key)
                if want is not None and len(times) >= want[0]:
                    want[1].set()

    def expect(self, order_id: str, status: str) -> asyncio.Event:
        event = asyncio.Event()
        self.waiters[(order_id, status)] = (len(self.sockets), event)
        if len(self.seen.get((order_id, status), [])) >= len(self.sockets):
            event.set()
        return event

    async def subscribe(self, order_id: str) -> None:
        message = {
            "id": order_id,
            "type": "subscribe",
            "payload": {"query": STATUS, "variables": {"id": order_id}},
        }
        text = orjson.dumps(message).decode()
        for ws in self.sockets:
            await ws.send_str(text)

    async def complete(self, order_id: str) -> None:
        text = orjson.dumps({"id": order_id, "type": "complete"}).decode()
        for ws in self.sockets:
            await ws.send_str(text)

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for task in self.readers:
            task.cancel()


async def call(
    session: aiohttp.ClientSession, url: str, token: str, query: str, variables: dict[str, Any]
) -> Any:
    async with session.post(
        url,
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"} if token else {},
    ) as response:
        body = orjson.loads(await response.read())
    if body.get("errors"):
        raise SystemExit(f"{query[:40]}...: {body['errors']}")
    return body["data"]


async def paid_order(
    session: aiohttp.ClientSession, url: str, customer: str, staff: str, n: int
) -> str:
    products = await call(
        session,
        url,
        customer,
        "{ products(first: 1, filter: { inStock: true }) { edges { node { id } } } }",
        {},
    )
    product = products["products"]["edges"][0]["node"]["id"]
    await call(
        session,
        url,
        customer,
        "mutation A($id: ID!) { addToCart(productId: $id, quantity: 1) { errors { code } } }",
        {"id": product},
    )
    card = {"cardNumber": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123"}
    checkout = await call(
        session,
        url,
        customer,
        "mutation C($i: CheckoutInput!) { checkout(input: $i) { order { id } errors { code } } }",
        {"i": {"idempotencyKey": f"bench-{n}", "paymentMethod": card}},
    )
    order_id: str = checkout["checkout"]["order"]["id"]
    status = None
    for _ in range(1200):
        order = await call(
            session, url, staff, "query O($id: ID!) { order(id: $id) { status } }", {"id": order_id}
        )
        status = order["order"]["status"]
        if status == "PAID":
            return order_id
        await asyncio.sleep(0.05)
    raise SystemExit(f"order {order_id} was not paid within 60 s: {status}")


async def follow_orders(
    session: aiohttp.ClientSession,
    url: str,
    subscribers: Subscribers,
    customer: str,
    staff: str,
    orders: int,
    first: int,
) -> list[float]:
    """Seconds from each staff move to the last subscriber's event."""
    latencies = []
    for n in range(first, first + orders):
        order_id = await paid_order(session, url, customer, staff, n)
        ready = subscribers.expect(order_id, "PAID")
        await subscribers.subscribe(order_id)
        await asyncio.wait_for(ready.wait(), 60)
        for status, mutation in MOVES.items():
            arrived = subscribers.expect(order_id, status)
            started = time.perf_counter()
            await call(
                session,
                url,
                staff,
                f"mutation M($id: ID!) {{ {mutation}(id: $id) {{ errors {{ code }} }} }}",
                {"id": order_id},
            )
            await asyncio.wait_for(arrived.wait(), 60)
            latencies.append(max(subscribers.seen[(order_id, status)]) - started)
        await subscribers.complete(order_id)
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(url: str, pid: int, count: int, orders: int) -> None:
    graphql = f"{url}/graphql"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        login = "mutation L($i: LoginInput!) { login(input: $i) { accessToken } }"
        signed_in = await call(session, graphql, "", login, {"i": STAFF_LOGIN})
        staff = signed_in["login"]["accessToken"]
        account = {"username": "bench", "email": "bench@example.com", "password": "long enough"}
        registered = await call(
            session,
            graphql,
            "",
            "mutation R($i: RegisterInput!) { register(input: $i) { accessToken } }",
            {"i": account},
        )
        customer = registered["register"]["accessToken"]

        single = Subscribers()
        await single.open(session, graphql, staff, 1)
        await follow_orders(session, graphql, single, customer, staff, 1, 0)  # warm-up
        baseline = await follow_orders(session, graphql, single, customer, staff, orders, 1)
        await single.close()

        before = rss_kib(pid)
        many = Subscribers()
        opened = time.perf_counter()
        await many.open(session, graphql, staff, count)
        opening = time.perf_counter() - opened
        fanned = await follow_orders(session, graphql, many, customer, staff, 1, orders + 1)
        after = rss_kib(pid)
        fanned += await follow_orders(
            session, graphql, many, customer, staff, orders - 1, orders + 2
        )
        await many.close()

    print(
        f"subscription fan-out, dev process (SQLite), {orders} orders x {len(MOVES)} status changes"
    )
    print(f"{'subscribers':>12} {'p50 ms':>9} {'p99 ms':>9} {'samples':>8}")
    for label, values in ((1, baseline), (count, fanned)):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{label:>12} {p50:9.1f} {p99:9.1f} {len(values):>8}")
    print(f"opening {count} sockets: {opening:.2f} s")
    print(
        f"memory per subscriber: {(after - before) / count:.1f} KiB (RSS {before} -> {after} KiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--port", type=int, help="the dev process's port (default: a free one)")
    args = parser.parse_args()
    pem = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with tempfile.TemporaryDirectory() as data_dir:
        env = {
            **os.environ,
            "SHOPGRAPH_JWT_PRIVATE_KEY": pem,
            "SHOPGRAPH_DATA_DIR": data_dir,
            "SHOPGRAPH_ARGON2_TIME_COST": "1",
            "SHOPGRAPH_ARGON2_MEMORY_KIB": "1024",
        }
        port = args.port or free_port()
        shopgraph = Path(sys.executable).parent / "shopgraph"
        subprocess.run(  # noqa: S603 - our own CLI
            [
                str(shopgraph),
                "users",
                "create-staff",
                "--username",
                "bench-staff",
                "--email",
                STAFF_LOGIN["email"],
                "--password",
                STAFF_LOGIN["password"],
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        process = subprocess.Popen(  # noqa: S603 - our own CLI on loopback
            [str(shopgraph), "dev", "--port", str(port), "--data-dir", data_dir],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # uvicorn logs every socket; an unread pipe would stall it
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(f"{url}/healthz", 120)
            asyncio.run(bench(url, process.pid, args.subscribers, args.orders))
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()
