"""Sign-in flood: memory and latency of parallel logins, known versus unknown emails.

Runs the users subgraph in this process with the production argon2 cost
(65536 KiB, 3 passes) and sends N parallel logins with a wrong password for
an existing account, then N for unknown emails (the per-address limit is
raised out of the way). Prints the process's peak RSS growth,
p50/max latency and how many were refused at once (RATE_LIMITED: the hashing
slots and queue were full). The baseline, measured in the same run, is one
login alone.

    python bench/users/run.py [--parallel 60]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[2]))

from subgraphs.platform.settings import Settings
from subgraphs.users.app import create_app
from subgraphs.users.settings import UsersSettings
from tests.graphql import serve

LOGIN = (
    'mutation($e: String!) { login(input: {email: $e, password: "wrong password"})'
    " { errors { code } } }"
)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def login(client: httpx.AsyncClient, email: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": LOGIN, "variables": {"e": email}})
    code = response.json()["data"]["login"]["errors"][0]["code"]
    return time.perf_counter() - started, code


async def batch(client: httpx.AsyncClient, emails: list[str]) -> tuple[list[float], Counter[str]]:
    results = await asyncio.gather(*(login(client, email) for email in emails))
    return [t for t, _ in results], Counter(code for _, code in results)


async def main(parallel: int) -> None:
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "data")
    app = create_app(
        settings, users=UsersSettings(login_ip_max_failures=10 * parallel, register_ip_max=10)
    )
    async with serve(app, "http://users") as client:
        await client.post(
            "/graphql",
            json={
                "query": 'mutation { register(input: {username: "ada", email: "ada@example.com",'
                ' password: "long enough"}) { errors { code } } }'
            },
        )
        await login(client, "warm-up@example.com")
        known_times, unknown_times = [], []
        for n in range(5):  # interleaved, so both see the same machine load
            known_times.append((await login(client, "ada@example.com"))[0])
            unknown_times.append((await login(client, f"alone{n}@example.com"))[0])
        known, unknown = statistics.median(known_times), statistics.median(unknown_times)
        before = rss_mib()
        for label, emails in (
            ("known email, wrong password", ["ada@example.com"] * parallel),  # 5 failures in
            ("unknown emails", [f"nobody{n}@example.com" for n in range(parallel)]),
        ):
            times, codes = await batch(client, emails)
            print(
                f"{label:30} p50 {statistics.median(times) * 1000:7.0f} ms  "
                f"max {max(times) * 1000:7.0f} ms  {dict(codes)}"
            )
        print(
            f"alone (p50 of 5): known email {known * 1000:.0f} ms, "
            f"unknown email {unknown * 1000:.0f} ms; "
            f"peak RSS growth {rss_mib() - before:.0f} MiB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--parallel", type=int, default=60)
    asyncio.run(main(parser.parse_args().parallel))
