"""CPU seconds per process for bench/analytics, from /proc (what psutil's cpu_times gives:
psutil is not a project dependency): the worker, tansu, the ClickHouse server, the producer."""

from __future__ import annotations

import os
import time

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, all its threads, from /proc
    (what psutil's cpu_times gives); 0 if it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def clickhouse_pid() -> int | None:
    """The ClickHouse server's pid, if it runs on this machine (shared: its CPU
    includes whatever else it serves at the time)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().startswith("clickhouse"):
                        return int(entry)
            except OSError:
                continue
    return None


class CpuSplit:
    """CPU seconds each named process uses between `__init__` and `done()`."""

    def __init__(self, pids: dict[str, int | None]) -> None:
        self._pids = {name: pid for name, pid in pids.items() if pid is not None}
        self._began = {name: cpu_seconds(pid) for name, pid in self._pids.items()}
        self._wall = time.perf_counter()

    def done(self) -> dict[str, float]:
        used = {n: cpu_seconds(pid) - self._began[n] for n, pid in self._pids.items()}
        return used | {"wall": time.perf_counter() - self._wall}


def split_line(used: dict[str, float], events: int) -> str:
    """Each process's CPU seconds, its share of the wall time in cores, and CPU-us per event."""
    wall = used["wall"]
    parts = [
        f"{name} {seconds:.2f} s ({seconds / wall:.2f} cores, {seconds / events * 1e6:.1f} us/ev)"
        for name, seconds in used.items()
        if name != "wall"
    ]
    total = sum(seconds for name, seconds in used.items() if name != "wall")
    alone = 2 * events / total if total else 0.0
    return (
        f"{', '.join(parts)}; all {total / wall:.2f} cores over {wall:.2f} s "
        f"(2 cores running only these: at most {alone:,.0f} events/s)"
    )
