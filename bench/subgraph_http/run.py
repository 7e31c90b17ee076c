"""What one subgraph HTTP request costs in CPU, in-process: the ASGI app called directly.

Builds the catalog subgraph on SQLite in a temporary directory, starts its
lifespan, creates a few products, then sends N requests of each case straight
into the app's ASGI callable (no socket, no HTTP parser, no client), so the
CPU a request costs is the subgraph's own: middleware, the `/graphql` view,
context, Strawberry, the resolvers and the encoding of the answer. Cases:

  typename          `{ __typename }`, anonymous: no resolver work at all
  typename-bearer   the same with a customer's bearer token (token verification)
  entities-service  `_entities` of 3 products with the service token, as the router
                    and the other subgraphs fetch them

Each case runs --rounds rounds of --requests requests; the best round's CPU
time (process time) per request is printed, which on a loaded machine is the
least disturbed reading. --profile writes a cProfile of one case instead.

    .venv/bin/python bench/subgraph_http/run.py [--requests 2000] [--rounds 5]
    .venv/bin/python bench/subgraph_http/run.py --case entities-service --profile /tmp/p.prof
    valgrind --tool=callgrind python bench/subgraph_http/run.py --case typename --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import secrets
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.types import Message

from subgraphs.catalog.app import create_app
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


@dataclass(frozen=True)
class Case:
    body: bytes
    headers: Mapping[str, str]


@dataclass
class Answer:
    status: int = 0
    body: bytes = b""


async def call(app: Starlette, body: bytes, headers: Mapping[str, str]) -> Answer:
    """One POST /graphql through the app's ASGI callable, as uvicorn would make it."""
    raw = [(b"host", b"catalog"), (b"content-length", str(len(body)).encode())]
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


def payload(query: str, variables: dict[str, object] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


async def make_cases(app: Starlette, settings: Settings) -> dict[str, Case]:
    tokens = app.state.platform_tokens
    staff = {"authorization": f"Bearer {tokens.issue(Principal('staff-1', Role.STAFF))}"}
    customer = {"authorization": f"Bearer {tokens.issue(Principal('customer-1', Role.CUSTOMER))}"}
    json = {"content-type": "application/json", "accept": "application/json"}
    ids = []
    for number in range(3):
        product = {"name": f"Thing {number}", "description": "A thing.", "price": "10.00"}
        created = await call(app, payload(CREATE, {"input": {**product, "stock": 5}}), staff | json)
        ids.append(orjson.loads(created.body)["data"]["createProduct"]["product"]["id"])
    service = {SERVICE_HEADER: settings.service_token.get_secret_value()}  # type: ignore[union-attr]  # main sets one
    representations = [{"__typename": "Product", "id": id_} for id_ in ids]
    return {
        "typename": Case(payload("{ __typename }"), json),
        "typename-bearer": Case(payload("{ __typename }"), json | customer),
        "entities-service": Case(
            payload(ENTITIES, {"representations": representations}), json | service
        ),
    }


async def measure(app: Starlette, case: Case, requests: int) -> float:
    """CPU seconds per request over `requests` sequential requests."""
    started = time.process_time()
    for _ in range(requests):
        answer = await call(app, case.body, case.headers)
        if answer.status != 200 or b'"errors"' in answer.body:
            raise SystemExit(f"unexpected answer {answer.status}: {answer.body[:300]!r}")
    return (time.process_time() - started) / requests


async def main(args: argparse.Namespace) -> None:
    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            data_dir=Path(directory),
            jwt_private_key=key.decode(),
            service_token=secrets.token_urlsafe(32),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            cases = await make_cases(app, settings)
            chosen = [args.case] if args.case else list(cases)
            for name in chosen:
                await measure(app, cases[name], 200)  # warm the caches
                if args.profile:
                    profile = cProfile.Profile()
                    profile.enable()
                    await measure(app, cases[name], args.requests)
                    profile.disable()
                    profile.dump_stats(args.profile)
                    print(f"profile of {name} written to {args.profile}")
                    continue
                rounds = [
                    await measure(app, cases[name], args.requests) for _ in range(args.rounds)
                ]
                print(f"{name:<18} {min(rounds) * 1e6:8.1f} us CPU per request (best round)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--case", choices=("typename", "typename-bearer", "entities-service"))
    parser.add_argument("--profile", help="write a cProfile of --case to this file")
    asyncio.run(main(parser.parse_args()))
