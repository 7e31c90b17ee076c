"""Gateway comparison in the manner of The Guild's graphql-gateways-benchmark.

The benchmark's four subgraphs (accounts, inventory, products, reviews; one
Python process, `guild_subgraphs.py`) and its one large query (~87 KB answer)
behind each gateway in turn, all serving one supergraph composed by
shopgraph's composer:
  shopgraph       `shopgraph router` (router.yaml beside this file)
  hive            Hive Gateway as the public benchmark runs it: --jit and
                  inboundInflightRequestDeduplication (identical requests in
                  flight at once share one execution)
  hive-plain      Hive Gateway, --jit, without that deduplication
  apollo          Apollo Gateway on Apollo Server's standalone server
  shopgraph-2, hive-2, hive-plain-2: the same with two processes
                  (`--workers 2`, `--fork 2`)
Each is started, its answer checked against the oracle (computed from the
tables, no GraphQL), loaded with wrk (50 connections, each sending the next
request as soon as the last is answered) after a warm-up, checked again and
stopped; the order is reversed every round.

Output: one table, per gateway the mean over rounds of requests/s, p50 and
p99 latency, the highest peak RSS (sum of each process's peak), the CPU (in
cores: CPU seconds over wall seconds) of the gateway, the subgraphs and wrk,
the gateway's CPU milliseconds per answered request (what a busy, shared
machine disturbs least), with ratios to shopgraph at the same process count
(above 1: shopgraph better). A gateway that will not start or be loaded is
reported and the run goes on. Exits 1 if any answer differs from the oracle,
else 2 if anything could not run.

    python bench/gateways/run.py [--rounds 2] [--seconds 12] [--warmup 4]
        [--connections 50] [--only shopgraph,hive,hive-plain,apollo,...]
        [--node-dir DIR] [--port-base 23000]

Needs wrk, Node.js 20 and npm. The Node gateways are installed with `npm ci`
into a temporary folder, then moved to ~/.cache/shopgraph/bench-gateways-<lock
hash> and reused by later runs (or to --node-dir): on a busy 2-core machine the
install takes ~3 minutes and deleting node_modules as long again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gateways
import guild_subgraphs
import oracle
import orjson
import processes
from gateways import Gateway, GatewayFailed
from wrk_load import Load, WrkFailed, run_wrk

from router.composition import SubgraphSource, compose

CONFIGS = ("shopgraph", "hive", "hive-plain", "apollo", "shopgraph-2", "hive-2", "hive-plain-2")


@dataclass(frozen=True)
class Round:
    load: Load
    processes: int
    replaced: int  # processes of the gateway that died (and were restarted) under load
    peak_rss: int
    gateway_cpu: float
    subgraph_cpu: float
    mismatches: tuple[str, ...]


def main() -> int:
    args = _arguments()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    started = time.monotonic()
    logs = Path(tempfile.mkdtemp(prefix="bench-gateways-logs-"))
    with tempfile.TemporaryDirectory(prefix="bench-gateways-") as scratch:
        try:
            return _run(args, Path(scratch), logs, started)
        except (GatewayFailed, WrkFailed) as error:
            print(f"\nbench/gateways could not run: {error}", file=sys.stderr)
            return 2
        finally:
            print(f"logs of the gateways and subgraphs: {logs}")


def _run(args: argparse.Namespace, work: Path, logs: Path, started: float) -> int:
    subgraph_port, gateway_port = args.port_base + 1, args.port_base + 10
    supergraph = work / "supergraph.graphql"
    supergraph.write_text(_supergraph(f"http://127.0.0.1:{subgraph_port}"))
    body = work / "query.json"
    body.write_bytes(orjson.dumps({"query": oracle.QUERY}))
    expected = oracle.expected_answer()
    node_dir = _node_gateways(args)
    configs = {
        "shopgraph": gateways.shopgraph(supergraph, gateway_port, 1),
        "shopgraph-2": gateways.shopgraph(supergraph, gateway_port, 2),
    }
    if node_dir is not None:
        for forks, suffix in ((1, ""), (2, "-2")):
            for deduplicate, name in ((True, "hive"), (False, "hive-plain")):
                configs[name + suffix] = gateways.hive(
                    node_dir, supergraph, gateway_port, forks, deduplicate
                )
        configs["apollo"] = gateways.apollo(node_dir, supergraph, gateway_port)
    order = [name for name in CONFIGS if name in args.only]
    print(_preamble(args, len(orjson.dumps(expected))))
    results: dict[str, list[Round]] = {name: [] for name in order}
    broken: list[str] = []
    with _subgraphs(subgraph_port, logs / "subgraphs.log") as subgraph_pid:
        for number in range(1, args.rounds + 1):
            for name in order if number % 2 else list(reversed(order)):
                gateway = configs[name]
                url = f"http://127.0.0.1:{gateway_port}{gateway.path}"
                log = logs / f"{name}-round{number}.log"
                try:
                    result = _measure(gateway, url, body, expected, args, subgraph_pid, log)
                except (GatewayFailed, WrkFailed) as error:
                    # The other gateways' figures are still worth their minutes.
                    broken.append(f"round {number} {gateway.label}: {error}")
                    print(f"  round {number} {gateway.label}: FAILED, {error}", flush=True)
                    continue
                results[name].append(result)
                print(f"  round {number} {gateway.label}: {result.load.rps:.1f} req/s", flush=True)
    print()
    print(_table(configs, {name: rounds for name, rounds in results.items() if rounds}))
    print(f"\nload average {_load_average()}; finished in {time.monotonic() - started:.0f} s")
    for problem in broken:
        print(f"DID NOT RUN: {problem}", file=sys.stderr)
    wrong = [problem for rounds in results.values() for r in rounds for problem in r.mismatches]
    for problem in wrong:
        print(f"WRONG ANSWER: {problem}", file=sys.stderr)
    return 1 if wrong else 2 if broken else 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=12.0, help="measured load per run")
    parser.add_argument("--warmup", type=float, default=4.0, help="load before measuring")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--only", type=_names, default=list(CONFIGS), help=",".join(CONFIGS))
    parser.add_argument("--node-dir", type=Path, help="the npm install to use (or make)")
    parser.add_argument("--port-base", type=int, default=23000)
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds < 1 or args.connections < 1:
        parser.error("--rounds, --seconds and --connections must be at least 1")
    return args


def _names(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(CONFIGS)}; not {unknown}")
    return names


def _supergraph(base_url: str) -> str:
    sources = [
        SubgraphSource(name, f"{base_url}/{name}", guild_subgraphs.SDL[name])
        for name in guild_subgraphs.NAMES
    ]
    composed = compose(sources)
    if composed.supergraph_sdl is None:
        raise GatewayFailed(f"the bench subgraphs do not compose: {composed.errors}")
    return composed.supergraph_sdl


def _node_gateways(args: argparse.Namespace) -> Path | None:
    if not set(args.only) - {"shopgraph", "shopgraph-2"}:
        return None
    directory: Path = args.node_dir or gateways.node_cache_dir()
    if gateways.node_gateways_installed(directory):
        gateways.copy_launch_files(directory)
        return directory
    began = time.monotonic()
    print(f"npm ci into {directory} ...", flush=True)
    gateways.install_node_gateways(directory)
    print(f"  installed in {time.monotonic() - began:.0f} s", flush=True)
    return directory


class _subgraphs:
    """The subgraphs' process for the whole run; yields its pid."""

    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log

    def __enter__(self) -> int:
        script = Path(__file__).with_name("guild_subgraphs.py")
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 - fixed command line
                [sys.executable, str(script), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise GatewayFailed(f"the subgraphs exited: {self.log.read_text()[-2000:]}")
            try:
                status, _ = gateways.get(f"http://127.0.0.1:{self.port}/health")
                if status == 200:
                    return self.process.pid
            except OSError:
                pass
            time.sleep(0.1)
        raise GatewayFailed("the subgraphs did not start in 30 s")

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        self.process.wait(15)


def _measure(
    gateway: Gateway,
    url: str,
    body: Path,
    expected: Any,
    args: argparse.Namespace,
    subgraph_pid: int,
    log: Path,
) -> Round:
    mismatches: list[str] = []
    options = {"connections": args.connections, "threads": args.threads, "timeout": 30.0}
    with gateways.running(gateway, url, log) as process:
        mismatches += _check(gateway.label, "before the load", url, body, expected)
        run_wrk(url, body, seconds=args.warmup, **options)
        before = processes.tree(process.pid)
        gateway_cpu = processes.cpu_seconds(before)
        subgraph_cpu = processes.cpu_seconds(processes.tree(subgraph_pid))
        load = run_wrk(url, body, seconds=args.seconds, **options)
        after = processes.tree(process.pid)
        gateway_cpu = processes.cpu_seconds(after) - gateway_cpu
        subgraph_cpu = processes.cpu_seconds(processes.tree(subgraph_pid)) - subgraph_cpu
        mismatches += _check(gateway.label, "after the load", url, body, expected)
        peak_rss = processes.peak_rss_bytes(processes.tree(process.pid))
    replaced = len(set(before) - set(after))
    return Round(load, len(after), replaced, peak_rss, gateway_cpu, subgraph_cpu, tuple(mismatches))


def _check(label: str, when: str, url: str, body: Path, expected: Any) -> list[str]:
    status, answer = gateways.post(url, body.read_bytes())
    try:
        got = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return [f"{label} {when}: HTTP {status}, not JSON: {answer[:200]!r}"]
    if status != 200 or got != expected:
        return [f"{label} {when}: HTTP {status}, {oracle.first_difference(expected, got)}"]
    if orjson.dumps(got) != orjson.dumps(expected):  # equal as maps, not in field order
        return [f"{label} {when}: the fields are not in the order the query asks them"]
    return []


def _preamble(args: argparse.Namespace, answer_bytes: int) -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    return (
        f"bench/gateways: {os.cpu_count()} CPUs, load average {_load_average()}, "
        f"node {node.stdout.strip() or '-'}, answer {answer_bytes} bytes\n"
        f"{args.rounds} rounds x {args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, "
        f"wrk {args.threads} threads / {args.connections} connections"
    )


def _load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _table(configs: dict[str, Gateway], results: dict[str, list[Round]]) -> str:
    def mean(values: list[float]) -> float:
        return statistics.fmean(values)

    summary: dict[str, dict[str, float]] = {}
    for name, rounds in results.items():
        summary[name] = {
            "rps": mean([r.load.rps for r in rounds]),
            "p50": mean([r.load.p50_ms for r in rounds]),
            "p99": mean([r.load.p99_ms for r in rounds]),
            "rss": max(r.peak_rss for r in rounds) / 2**20,
            # Gateway CPU per answered request: the figure a shared machine disturbs least.
            "cpu_ms": _per_request(rounds),
        }
    header = (
        "| gateway | procs | req/s | req/s per round | p50 ms | p99 ms | peak RSS MB "
        "| CPU gateway | gateway CPU ms/req | CPU subgraphs | CPU wrk | errors "
        "| shopgraph req/s x | their p99 x | their RSS x | their CPU/req x |"
    )
    lines = [header, "|" + "---|" * header.count(" | ") + "---|"]
    for name, rounds in results.items():
        own = summary[name]
        reference = summary.get("shopgraph-2" if configs[name].processes > 1 else "shopgraph")
        lines.append(
            "| "
            + " | ".join(
                [
                    configs[name].label,
                    _processes(rounds),
                    f"{own['rps']:.1f}",
                    " / ".join(f"{r.load.rps:.1f}" for r in rounds),
                    f"{own['p50']:.0f}",
                    f"{own['p99']:.0f}",
                    f"{own['rss']:.0f}",
                    f"{mean([r.gateway_cpu / r.load.seconds for r in rounds]):.2f}",
                    f"{own['cpu_ms']:.1f}" if own["cpu_ms"] else "-",
                    f"{mean([r.subgraph_cpu / r.load.seconds for r in rounds]):.2f}",
                    f"{mean([r.load.cpu_seconds / r.load.seconds for r in rounds]):.2f}",
                    str(
                        sum(r.load.errors for r in rounds) + sum(len(r.mismatches) for r in rounds)
                    ),
                    _ratio(reference["rps"] if reference else None, own["rps"]),
                    _ratio(own["p99"], reference["p99"] if reference else None),
                    _ratio(own["rss"], reference["rss"] if reference else None),
                    _ratio(own["cpu_ms"], reference["cpu_ms"] if reference else None),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def _per_request(rounds: list[Round]) -> float:
    """Gateway CPU milliseconds per answered request (0: none was answered)."""
    answered = sum(r.load.requests for r in rounds)
    return 1000 * sum(r.gateway_cpu for r in rounds) / answered if answered else 0.0


def _processes(rounds: list[Round]) -> str:
    counts = "/".join(sorted({str(r.processes) for r in rounds}))
    replaced = sum(r.replaced for r in rounds)
    return f"{counts} ({replaced} died)" if replaced else counts


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}"


if __name__ == "__main__":
    sys.exit(main())
