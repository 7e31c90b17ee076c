"""Constant load with wrk: N connections, each POSTing the query again as soon as answered.

wrk reads the request body from a file through a small Lua script; its
report gives requests/s and the latency percentiles, and `os.wait4` gives
the CPU time wrk itself used, so the load tool's cost is shown too.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = """\
local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class WrkFailed(RuntimeError):
    """wrk exited with an error or printed a report this module cannot read."""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (timeouts included) and non-2xx answers
    cpu_seconds: float


def run_wrk(
    url: str, body: Path, *, seconds: float, connections: int, threads: int, timeout: float
) -> Load:
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        script = Path(scratch) / "post.lua"
        script.write_text(LUA)
        report = Path(scratch) / "report.txt"
        command = [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={max(1, round(timeout))}s",
            "--latency",
            f"--script={script}",
            url,
        ]
        with report.open("w") as out:
            process = subprocess.Popen(  # noqa: S603 - fixed command line built here
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=os.environ | {"BENCH_BODY": str(body)},
            )
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        text = report.read_text()
    if process.returncode != 0:
        raise WrkFailed(f"wrk exited with {process.returncode}:\n{text}")
    return parse_report(text, usage.ru_utime + usage.ru_stime)


def parse_report(text: str, cpu_seconds: float) -> Load:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            raise WrkFailed(f"no {pattern!r} in wrk's report:\n{text}")
        return match

    done = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),")
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return Load(
        requests=int(done.group(1)),
        seconds=float(done.group(2)) * _UNITS[done.group(3)] / 1000,
        rps=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        p50_ms=_latency(find(r"^\s+50%\s+([\d.]+)(us|ms|s|m)")),
        p99_ms=_latency(find(r"^\s+99%\s+([\d.]+)(us|ms|s|m)")),
        errors=errors,
        cpu_seconds=cpu_seconds,
    )


def _latency(match: re.Match[str]) -> float:
    return float(match.group(1)) * _UNITS[match.group(2)]
