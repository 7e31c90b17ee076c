"""CPU time each server process spends per checkout: a figure a shared machine blurs less.

Wall-clock rates move with whatever else runs on the machine; the CPU seconds a
process burns for the same work move much less. Read from /proc (Linux), user
plus system time, of each process the bench started.

The backing servers (PostgreSQL, Redis, RabbitMQ) and the bench's own client
take their share of the same two cores, so they are read too. The servers are
machine-wide: their figure counts whatever else uses them, and means something
only on a quiet machine.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


# Backing servers by the command name their processes run under.
SERVERS = {"postgres": "postgres", "redis": "redis-server", "rabbitmq": "beam.smp"}


def _stat(pid: int | str) -> list[str]:
    """The fields of /proc/<pid>/stat after the command (field 3, the state, comes first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` so far (its threads included)."""
    fields = _stat(pid)
    # utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / TICKS


def server_cpu_seconds(command: str) -> float:
    """CPU seconds of every process running `command`, with their ended children.

    A PostgreSQL backend that exits is counted in its postmaster's cutime and
    cstime (fields 16 and 17) once reaped; a live one counts for itself.
    """
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != command:
                continue
            fields = _stat(entry.name)
        except OSError:  # it ended while being read
            continue
        total += sum(int(field) for field in fields[11:15])
    return total / TICKS


def snapshot(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of the bench's servers, the backing servers and this client."""
    readings = {name: cpu_seconds(pid) for name, pid in processes.items()}
    shared = {name: server_cpu_seconds(command) for name, command in SERVERS.items()}
    times = os.times()
    return (
        readings
        | {f"[{name}]": seconds for name, seconds in shared.items()}
        | {"[bench client]": times.user + times.system}
    )


def per_checkout(before: dict[str, float], after: dict[str, float], checkouts: int) -> list[str]:
    """Two lines: CPU ms per checkout by process of the shop, and their sum; then the
    backing servers and the bench's own client (their names are in brackets)."""
    if checkouts == 0:
        return ["CPU per checkout: no checkouts"]
    costs = {name: 1000 * (after[name] - before[name]) / checkouts for name in before}
    shop = {name: ms for name, ms in costs.items() if not name.startswith("[")}
    others = {name.strip("[]"): ms for name, ms in costs.items() if name.startswith("[")}
    return [
        "CPU ms per checkout (with its addToCarts), by process: "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(shop.items()))
        + f"; total {sum(shop.values()):.1f}",
        "  and outside the shop (backing servers machine-wide, so quiet machines only): "
        + ", ".join(f"{name} {ms:.1f}" for name, ms in others.items())
        + f"; everything {sum(costs.values()):.1f}",
    ]
