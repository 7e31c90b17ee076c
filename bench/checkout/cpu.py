"""CPU time each server process spends per checkout: a figure a shared machine blurs less.

Wall-clock rates move with whatever else runs on the machine; the CPU seconds a
process burns for the same work move much less. Read from /proc (Linux), user
plus system time, of each process the bench started.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command: state is field 3; utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICKS


def snapshot(processes: dict[str, int]) -> dict[str, float]:
    return {name: cpu_seconds(pid) for name, pid in processes.items()}


def per_checkout(before: dict[str, float], after: dict[str, float], checkouts: int) -> str:
    """One line: CPU ms per checkout by process, and their sum."""
    if checkouts == 0:
        return "CPU per checkout: no checkouts"
    costs = {name: 1000 * (after[name] - before[name]) / checkouts for name in before}
    parts = ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(costs.items()))
    return f"CPU ms per checkout (with its addToCarts), by process: {parts}; total " + (
        f"{sum(costs.values()):.1f}"
    )
