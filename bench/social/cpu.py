"""CPU milliseconds per request of each server in the bench's one process.

The router and the subgraphs share the bench's event loop, and the client
sends one request at a time, so while a subgraph's app handles a request the
router only waits for it: the process's CPU time spent inside each app's
call is that server's cost (the router's own is its total minus the
subgraphs' it waited for). CPU time moves much less with a busy machine than
wall-clock latency does, so it compares runs made under different loads.
"""

from __future__ import annotations

import time
from collections import defaultdict

from starlette.types import ASGIApp, Receive, Scope, Send


class CpuMeter:
    """Accumulates the process CPU seconds spent inside each wrapped app."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def wrap(self, name: str, app: ASGIApp) -> ASGIApp:
        async def measured(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.process_time()
            try:
                await app(scope, receive, send)
            finally:
                self.seconds[name] += time.process_time() - started

        return measured

    def reset(self) -> None:
        self.seconds.clear()

    def per_request(self, router: str, requests: int) -> dict[str, float]:
        """Milliseconds per request by server; the router's without the subgraphs'."""
        own = {name: s for name, s in self.seconds.items() if name != router}
        own[router] = self.seconds[router] - sum(own.values())
        return {name: 1000 * s / requests for name, s in own.items()}
