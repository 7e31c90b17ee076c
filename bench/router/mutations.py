"""The router's CPU per signed-in checkout, over HTTP: the shop's supergraph, commerce canned.

Serves the router (a uvicorn process) on the shop's supergraph
(schema/supergraph.graphql) with commerce answered by a canned app (another
process) that returns a fixed payload for each mutation, so the commerce side
costs next to nothing and the figure is the router's own: each customer
sends the checkout bench's addToCart and checkout, each with a bearer token
the router verifies and forwards, each one fetch to commerce. Prints the
router process's CPU milliseconds per addToCart + checkout (from /proc).

    python bench/router/mutations.py [--pairs 2000] [--concurrency 1,16] [--ports COMMERCE,ROUTER]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from load import Send
from run import SERVER_OPTIONS, measure_router, signed_token, wait_for
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shopgraph.loopback import free_port

HERE = Path(__file__).parent
SUPERGRAPH = HERE.parents[1] / "schema" / "supergraph.graphql"
# What the checkout bench sends (bench/checkout/run.py), with its variables.
ADD = (
    "mutation A($productId: ID!, $quantity: Int!) { addToCart(productId: $productId, "
    "quantity: $quantity) { cart { itemCount } errors { code } } }"
)
CHECKOUT = (
    "mutation C($input: CheckoutInput!) { checkout(input: $input) { order { id status "
    "lines { product { id } quantity } } errors { code } } }"
)
CARD = {"cardNumber": "4242424242424242", "expMonth": 12, "expYear": 2030, "cvc": "123"}
CHECKOUT_INPUT = {"idempotencyKey": "k", "paymentMethod": CARD}
REQUESTS = [
    orjson.dumps({"query": ADD, "variables": {"productId": "p1", "quantity": 2}}),
    orjson.dumps({"query": CHECKOUT, "variables": {"input": CHECKOUT_INPUT}}),
]
ANSWERS = {
    b"addToCart": {"data": {"addToCart": {"cart": {"itemCount": 2}, "errors": []}}},
    b"checkout": {
        "data": {
            "checkout": {
                "order": {
                    "id": "o1",
                    "status": "PENDING_PAYMENT",
                    "lines": [{"product": {"id": "p1"}, "quantity": 2}],
                },
                "errors": [],
            }
        }
    },
}


async def _commerce(request: Request) -> Response:
    body = await request.body()
    answer = next(payload for field, payload in ANSWERS.items() if field in body)
    return Response(orjson.dumps(answer), media_type="application/json")


async def _ping(_: Request) -> Response:
    return Response("ok")


# The canned commerce subgraph: `uvicorn mutations:commerce`.
commerce = Starlette(routes=[Route("/graphql", _commerce, methods=["POST"]), Route("/ping", _ping)])


def customer(url: str, token: str) -> Send:
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}

    async def send(session: aiohttp.ClientSession) -> bool:
        for body in REQUESTS:
            async with session.post(url, data=body, headers=headers) as response:
                answer = orjson.loads(await response.read())
                if response.status != 200 or "errors" in answer:
                    return False
        return True

    return send


async def bench(args: argparse.Namespace, url: str, router_pid: int, token: str) -> None:
    print(f"{'customers at once':>17} {'pairs':>6} {'fail':>5} {'router CPU ms per pair':>23}")
    for concurrency in args.concurrency:
        result, spent = await measure_router(
            customer(url, token),
            router_pid,
            requests=args.pairs,
            seconds=args.seconds,
            concurrency=concurrency,
        )
        print(f"{concurrency:>17} {result.requests:>6} {result.failures:>5} {spent:>23.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000, help="addToCart + checkout, each")
    parser.add_argument("--seconds", type=float, default=20.0, help="cap per concurrency")
    parser.add_argument(
        "--concurrency", type=lambda s: [int(c) for c in s.split(",")], default=[1, 16]
    )
    parser.add_argument(
        "--ports",
        type=lambda s: [int(p) for p in s.split(",")],
        help="COMMERCE,ROUTER ports to listen on (default: free ones)",
    )
    args = parser.parse_args()
    commerce_port, router_port = args.ports or (free_port(), free_port())
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="shopgraph-bench-mutations-") as directory:
        public_key = Path(directory) / "jwt.pem"
        public_key.write_bytes(
            key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        )
        processes = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "mutations:commerce",
                    "--app-dir",
                    str(HERE),
                    "--port",
                    str(commerce_port),
                    *SERVER_OPTIONS,
                ]
            ),
            subprocess.Popen(  # noqa: S603 - our own interpreter and scripts
                [
                    sys.executable,
                    str(HERE / "serve_router.py"),
                    "--port",
                    str(router_port),
                    "--supergraph",
                    str(SUPERGRAPH),
                    "--subgraph-url",
                    f"commerce=http://127.0.0.1:{commerce_port}/graphql",
                    "--jwt-public-key",
                    str(public_key),
                ]
            ),
        ]
        try:
            wait_for(f"http://127.0.0.1:{commerce_port}/ping")
            wait_for(f"http://127.0.0.1:{router_port}/readyz")
            url = f"http://127.0.0.1:{router_port}/graphql"
            asyncio.run(bench(args, url, processes[1].pid, signed_token(key)))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)


if __name__ == "__main__":
    main()
