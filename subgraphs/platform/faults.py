"""Crash points for fault-injection tests. Test-only: nothing sets them in a deployment.

A crash test starts a subgraph process with `SHOPGRAPH_TEST_CRASH_AT=NAME`; the
process then kills itself with SIGKILL (as `kill -9` would, no cleanup, no
response) when it reaches the crash point NAME. Unset, a crash point costs one
environment lookup. The variable is deliberately not a setting: no
configuration file or README table can turn it on by mistake.
"""

from __future__ import annotations

import os
import signal

ENV = "SHOPGRAPH_TEST_CRASH_AT"

# Commerce checkout: the order is committed, the cart not yet touched, no answer sent.
ORDER_COMMITTED = "order-committed"
# Payment outcomes: catalog settled the moved orders' stock, nothing is committed yet.
OUTCOMES_SETTLED = "outcomes-settled"


def crash_point(name: str) -> None:
    """Dies here, at once and without cleanup, if the test asked for a crash at `name`."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
