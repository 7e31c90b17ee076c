"""Storefront benchmark: the first load of `/` in Debian's Chromium, against `shopgraph dev`.

Starts `shopgraph dev` in a child process (a fresh data directory, the demo shop
seeded) on a loopback port, loads `/` once to warm the server, then loads it
`--loads` times, each in a fresh browser context (empty cache: a first visit),
and prints p50/p95 of:

  HTML received    the navigation's responseEnd: index.html over loopback, the
                   floor every page load pays (the baseline, same run)
  first products   the home page drawn with its product lists (the app's
                   `shop:rendered` performance mark), from the navigation's start
  app on top       first products minus HTML received: modules, the session
                   check and the page's three GraphQL queries

and the bytes the load transferred (Resource Timing transferSize, headers
included, compressed as sent), against the issue's 300 KB budget, with the
uncompressed size beside it.

    .venv/bin/python bench/storefront/run.py [--loads 20] [--port 27100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BUDGET_BYTES = 300 * 1024
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const drawn = performance.getEntriesByName("shop:rendered").find((m) => m.detail.path === "/");
  const entries = [nav, ...performance.getEntriesByType("resource")];
  return {
    html: nav.responseEnd,
    products: drawn.startTime,
    transferred: entries.reduce((sum, e) => sum + e.transferSize, 0),
    decoded: entries.reduce((sum, e) => sum + e.decodedBodySize, 0),
    requests: entries.length,
  };
}"""


def start_dev(port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    shopgraph = Path(sys.executable).parent / "shopgraph"
    command = [str(shopgraph), "dev", "--port", str(port), "--data-dir", str(data_dir)]
    # our own CLI, on loopback
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


def wait_ready(url: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stderr = server.stderr.read().decode() if server.stderr else ""
            raise SystemExit(f"shopgraph dev stopped:\n{stderr}")
        try:
            if httpx.get(f"{url}/", headers={"accept": "application/json"}).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"shopgraph dev did not answer on {url} within {seconds:.0f} s")


async def load_home(browser: object, url: str) -> dict[str, float]:
    context = await browser.new_context()  # type: ignore[attr-defined]
    try:
        page = await context.new_page()
        await page.goto(f"{url}/")
        await page.wait_for_function(
            "() => performance.getEntriesByName('shop:rendered').some(m => m.detail.path === '/')"
        )
        await page.locator("#products .card").first.wait_for()
        measured: dict[str, float] = await page.evaluate(MEASURE)
        return measured
    finally:
        await context.close()


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, loads: int, chromium: str) -> list[dict[str, float]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            await load_home(browser, url)  # warm-up: the server's first requests, not measured
            return [await load_home(browser, url) for _ in range(loads)]
        finally:
            await browser.close()


def report(runs: list[dict[str, float]]) -> None:
    html = [r["html"] for r in runs]
    products = [r["products"] for r in runs]
    extra = [r["products"] - r["html"] for r in runs]
    print(f"{'':16} {'p50 ms':>8} {'p95 ms':>8}")
    rows = (("HTML received", html), ("first products", products), ("app on top", extra))
    for name, values in rows:
        print(f"{name:16} {p(values, 0.5):8.1f} {p(values, 0.95):8.1f}")
    transferred = statistics.median(r["transferred"] for r in runs)
    decoded = statistics.median(r["decoded"] for r in runs)
    requests = statistics.median(r["requests"] for r in runs)
    verdict = "within" if transferred <= BUDGET_BYTES else "OVER"
    print(
        f"bytes transferred: {transferred / 1024:.1f} KB compressed ({decoded / 1024:.1f} KB"
        f" uncompressed) in {requests:.0f} requests; {verdict} the {BUDGET_BYTES // 1024} KB budget"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--port", type=int, default=27100)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    url = f"http://127.0.0.1:{args.port}"
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="shopgraph-storefront-bench-") as data_dir:
        server = start_dev(args.port, Path(data_dir))
        try:
            wait_ready(url, server)
            runs = asyncio.run(measure(url, args.loads, chromium))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{args.loads} cold loads of {url}/ (fresh browser context each)")
    report(runs)


if __name__ == "__main__":
    main()
