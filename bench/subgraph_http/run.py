"""What one subgraph HTTP request costs in CPU, in-process: the ASGI apps called directly.

Builds the catalog and commerce subgraphs on SQLite in a temporary directory,
starts their lifespans, creates a few products, then sends N requests of each
case straight into an app's ASGI callable (no socket, no HTTP parser, no
client), so the CPU a request costs is the subgraph's own: middleware, the
`/graphql` view, context, Strawberry, the resolvers and the encoding of the
answer. The documents are those the router and commerce send (the router's
fetches as its planner prints them). Cases:

  typename          `{ __typename }` to catalog, anonymous: no resolver work at all
  typename-bearer   the same with a customer's bearer token (token verification)
  entities-service  `_entities` of 3 products with the service token, as the router
                    and the other subgraphs fetch them
  products          commerce's `_entities` of 1 product (its product cache filling)
  reserve, settle   commerce's `reserveStock` of 1 line, then `settleStock` committing it
  cart              the router's signed-in `{ cart { itemCount } }` to commerce
  add, checkout     the router's `addToCart` then `checkout` (a new key each time) to
                    commerce; checkout includes catalog's `reserveStock`, served on a
                    loopback port (--first-port) in this process

Cases that come in pairs (reserve/settle, add/checkout) run together, and each
request's CPU is read on its own. Each case runs --rounds rounds of --requests
requests; the best round's CPU time (process time) per request is printed, which
on a loaded machine is the least disturbed reading. --production runs the
subgraphs with SHOPGRAPH_ENV=production (no introspection, no hints). --profile
writes a cProfile of one case instead.

    .venv/bin/python bench/subgraph_http/run.py [--requests 2000] [--rounds 5]
    .venv/bin/python bench/subgraph_http/run.py --case entities-service --profile /tmp/p.prof
    valgrind --tool=callgrind python bench/subgraph_http/run.py --case typename --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import secrets
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.types import Message

from shopgraph.loopback import served
from subgraphs.catalog.app import create_app as create_catalog
from subgraphs.commerce.app import create_app as create_commerce
from subgraphs.commerce.catalog_client import _PRODUCTS, _RESERVE, _SETTLE
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth import Principal, Role
from subgraphs.platform.auth.service_token import HEADER as SERVICE_HEADER
from subgraphs.platform.settings import Settings

CREATE = (
    "mutation Create($input: ProductInput!) { createProduct(input: $input) "
    "{ product { id } errors { code } } }"
)
ENTITIES = (
    "query Entities($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on Product { id name price { amount currency } inStock } } }"
)
# The router's fetches to commerce for the checkout bench's operations, as it prints them.
CART = "{\n  cart {\n    itemCount\n  }\n}"
ADD = """mutation A__commerce__0($productId: ID!, $quantity: Int!) {
  addToCart(productId: $productId, quantity: $quantity) {
    cart {
      itemCount
    }
    errors {
      code
    }
  }
}"""
CHECKOUT = """mutation C__commerce__0($input: CheckoutInput!) {
  checkout(input: $input) {
    order {
      id
      status
      lines {
        product {
          id
        }
        quantity
      }
    }
    errors {
      code
    }
  }
}"""
CARD = {"cardNumber": "4242424242424242", "expMonth": 12, "expYear": 2040, "cvc": "123"}


@dataclass(frozen=True)
class Sent:
    """One request of a case: to which app, with what body and headers."""

    case: str
    app: Starlette
    body: bytes
    headers: Mapping[str, str]


# The requests of one round of a scenario: one, or a pair.
Scenario = Callable[[], list[Sent]]


@dataclass
class Answer:
    status: int = 0
    body: bytes = b""


async def call(app: Starlette, body: bytes, headers: Mapping[str, str]) -> Answer:
    """One POST /graphql through the app's ASGI callable, as uvicorn would make it."""
    raw = [(b"host", b"subgraph"), (b"content-length", str(len(body)).encode())]
    raw += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 4002),
        "state": {},
    }
    sent = False
    answer = Answer()

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # like a server: nothing more until disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


def payload(query: str, variables: Mapping[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


async def make_scenarios(
    catalog: Starlette, commerce: Starlette, settings: Settings
) -> dict[str, Scenario]:
    tokens = catalog.state.platform_tokens
    staff = {"authorization": f"Bearer {tokens.issue(Principal('staff-1', Role.STAFF))}"}
    customer = {"authorization": f"Bearer {tokens.issue(Principal('customer-1', Role.CUSTOMER))}"}
    # The router sends its request id with every fetch (commerce too, with its calls).
    json = {"content-type": "application/json", "accept": "application/json", "x-request-id": "r1"}
    ids = []
    for number in range(3):
        product = {"name": f"Thing {number}", "description": "A thing.", "price": "10.00"}
        stock = {"stock": 1_000_000}
        created = await call(catalog, payload(CREATE, {"input": product | stock}), staff | json)
        ids.append(orjson.loads(created.body)["data"]["createProduct"]["product"]["id"])
    service = json | {SERVICE_HEADER: settings.service_token.get_secret_value()}  # type: ignore[union-attr]  # main sets one
    representations = [{"__typename": "Product", "id": id_} for id_ in ids]
    keys = itertools.count()

    def fixed(case: str, app: Starlette, body: bytes, headers: Mapping[str, str]) -> Scenario:
        return lambda: [Sent(case, app, body, headers)]

    def reserve_settle() -> list[Sent]:
        key = f"bench-{next(keys)}"
        reserve = {"orderId": key, "lines": [{"productId": ids[0], "quantity": 1}]}
        return [
            Sent("reserve", catalog, payload(_RESERVE, reserve), service),
            Sent("settle", catalog, payload(_SETTLE, {"commits": [key], "releases": []}), service),
        ]

    def add_checkout() -> list[Sent]:
        add = {"productId": ids[1], "quantity": 1}
        checkout = {"input": {"idempotencyKey": f"bench-{next(keys)}", "paymentMethod": CARD}}
        return [
            Sent("add", commerce, payload(ADD, add), json | customer),
            Sent("checkout", commerce, payload(CHECKOUT, checkout), json | customer),
        ]

    return {
        "typename": fixed("typename", catalog, payload("{ __typename }"), json),
        "typename-bearer": fixed(
            "typename-bearer", catalog, payload("{ __typename }"), json | customer
        ),
        "entities-service": fixed(
            "entities-service",
            catalog,
            payload(ENTITIES, {"representations": representations}),
            service,
        ),
        "products": fixed(
            "products",
            catalog,
            payload(_PRODUCTS, {"representations": representations[:1]}),
            service,
        ),
        "reserve-settle": reserve_settle,
        "cart": fixed("cart", commerce, payload(CART), json | customer),
        "add-checkout": add_checkout,
    }


async def measure(scenario: Scenario, rounds: int) -> dict[str, float]:
    """CPU seconds per request of each case of `scenario`, over `rounds` rounds of it."""
    spent: dict[str, float] = defaultdict(float)
    for _ in range(rounds):
        for sent in scenario():
            started = time.process_time()
            answer = await call(sent.app, sent.body, sent.headers)
            spent[sent.case] += time.process_time() - started
            # Every failure, top-level or a payload's UserError, carries a code.
            if answer.status != 200 or b'"code"' in answer.body:
                raise SystemExit(f"{sent.case}: answer {answer.status}: {answer.body[:300]!r}")
    return {case: seconds / rounds for case, seconds in spent.items()}


async def main(args: argparse.Namespace) -> None:
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory),
            jwt_private_key=key.decode(),
            service_token=secrets.token_urlsafe(32),
            env="production" if args.production else "development",
        )
        catalog = create_catalog(settings)
        async with served(catalog, args.first_port) as catalog_url:
            own = CommerceSettings(catalog_url=f"{catalog_url}/graphql")
            commerce = create_commerce(settings, commerce=own)
            async with commerce.router.lifespan_context(commerce):
                scenarios = await make_scenarios(catalog, commerce, settings)
                chosen = [args.case] if args.case else list(scenarios)
                for name in chosen:
                    await run(scenarios[name], name, args)


async def run(scenario: Scenario, name: str, args: argparse.Namespace) -> None:
    await measure(scenario, 200)  # warm the caches
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        await measure(scenario, args.requests)
        profile.disable()
        profile.dump_stats(args.profile)
        print(f"profile of {name} written to {args.profile}")
        return
    rounds = [await measure(scenario, args.requests) for _ in range(args.rounds)]
    for case in rounds[0]:
        best = min(measured[case] for measured in rounds)
        print(f"{case:<18} {best * 1e6:8.1f} us CPU per request (best round)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--case",
        choices=(
            "typename",
            "typename-bearer",
            "entities-service",
            "products",
            "reserve-settle",
            "cart",
            "add-checkout",
        ),
    )
    parser.add_argument("--profile", help="write a cProfile of --case to this file")
    parser.add_argument("--production", action="store_true", help="SHOPGRAPH_ENV=production")
    parser.add_argument(
        "--first-port",
        type=int,
        default=int(os.environ.get("SHOPGRAPH_BENCH_FIRST_PORT", "24000")),
        help="the loopback port catalog is served on, for commerce's calls",
    )
    asyncio.run(main(parser.parse_args()))
