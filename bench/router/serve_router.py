"""The router process of the benchmarks: the bench supergraph against the bench subgraphs
(run.py), or another supergraph against the subgraph URLs given (mutations.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from router.config import RouterConfig
from router.http import create_router_app

HERE = Path(__file__).parent
# No bench list is longer: the large query's estimated cost fits the default limit.
LIST_SIZE = 5


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--subgraphs", help="base URL of the bench subgraphs")
    parser.add_argument("--supergraph", type=Path, default=HERE / "supergraph.graphql")
    parser.add_argument(
        "--subgraph-url", action="append", default=[], help="NAME=URL (repeat for each)"
    )
    parser.add_argument("--jwt-public-key", type=Path, help="PEM file: bearer tokens verify")
    args = parser.parse_args()
    urls = dict(given.split("=", 1) for given in args.subgraph_url)
    if args.subgraphs:
        bench = ("products", "reviews", "users", "inventory")
        urls |= {name: f"{args.subgraphs}/{name}" for name in bench}
    app = create_router_app(
        args.supergraph.read_text(),
        RouterConfig(
            subgraph_urls=urls,
            cost_list_size=LIST_SIZE,
            jwt_public_key=args.jwt_public_key.read_text() if args.jwt_public_key else None,
        ),
    )
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", loop="uvloop", http="httptools"
    )


if __name__ == "__main__":
    main()
