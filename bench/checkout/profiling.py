"""`--profile DIR`: py-spy on each server process of the shop for the measured window."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from layout import Shop

PROFILED = ("router", "commerce", "catalog", "payments", "orders", "outbox-0", "dev")


def profile(
    shop: Shop, directory: Path | None, warmup: float, seconds: float
) -> list[subprocess.Popen[bytes]]:
    """py-spy on each server process for the measured window (after the warm-up)."""
    if directory is None:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    # Beside this Python (a project install), else wherever PATH finds it.
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        spy = Path(shutil.which("py-spy") or spy)
    if not spy.exists():  # its output is discarded: without this the folder just stays empty
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    started = []
    for name, pid in shop.processes.items():
        if name in PROFILED:
            command = [str(spy), "record", "--pid", str(pid), "--duration", str(int(seconds))]
            command += ["--format", "raw", "--output", str(directory / f"{name}.txt")]
            # Sampling starts after the warm-up, with the load.
            command = ["sh", "-c", f'sleep {warmup}; exec "$@"', "py-spy", *command]
            started.append(
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
            )
    return started
