"""The orders worker's outcome consumer, this tree against a baseline tree, same sitting.

For each tree (`--baseline REF`, a git revision exported to a temporary folder,
then this working tree) and each batch size, outcomes.py runs in a process of its
own on a throwaway PostgreSQL database and a Redis database, alternating trees
`--repeat` times so that a machine busier for a while weighs on both. Printed per
batch size: the CPU milliseconds per batch (median of the runs' medians) and the
PostgreSQL round trips per batch (statements, BEGIN and COMMIT), baseline and now.

    .venv/bin/python bench/orders_worker/run.py [--baseline main] [--sizes 1,10,50]
        [--repeat 3] [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def export(revision: str, into: Path) -> Path:
    """The tree of `revision`, written under `into`."""
    archive = into / "tree.tar"
    subprocess.run(  # noqa: S603 - git on our own repository
        ["git", "-C", str(ROOT), "archive", "-o", str(archive), revision, "subgraphs"],  # noqa: S607 - git from PATH, as a developer runs it
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


async def _admin(url: str, sql: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def run_once(tree: Path, size: int, arguments: argparse.Namespace, data: Path) -> dict[str, Any]:
    name = f"shopgraph_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(arguments.postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(arguments.postgres_url).set(database=name)
        command = [
            sys.executable,
            str(HERE / "outcomes.py"),
            "--postgres-url",
            url.render_as_string(hide_password=False),
            "--redis-url",
            arguments.redis_url,
            "--data-dir",
            str(data),
            "--batch",
            str(size),
            "--batches",
            str(max(20, arguments.outcomes // size)),
        ]
        # The tree first on the path: its `subgraphs` package, not the installed one.
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            command, env=env, check=True, capture_output=True, text=True
        )
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        asyncio.run(_admin(arguments.postgres_url, drop))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--sizes", default="1,10,50")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--outcomes", type=int, default=1000, help="outcomes per round")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/2")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        trees = {"baseline": export(arguments.baseline, Path(folder)), "now": ROOT}
        for size in (int(value) for value in arguments.sizes.split(",")):
            medians: dict[str, list[float]] = {name: [] for name in trees}
            trips: dict[str, int] = {}
            for _ in range(arguments.repeat):
                for name, tree in trees.items():
                    result = run_once(tree, size, arguments, Path(folder) / "data")
                    medians[name].append(result["median_cpu_ms_per_batch"])
                    trips[name] = result["round_trips_per_batch"]
            base, now = (statistics.median(medians[name]) for name in trees)
            print(
                f"batch of {size:>3}: CPU {base:.2f} -> {now:.2f} ms per batch "
                f"({now / base - 1:+.0%}; runs {medians['baseline']} -> {medians['now']}); "
                f"PostgreSQL round trips {trips['baseline']} -> {trips['now']}",
                flush=True,
            )


if __name__ == "__main__":
    main()
