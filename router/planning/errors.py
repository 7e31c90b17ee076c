"""Why planning stops: operations no plan serves, and the time planning may take.

A `PlanningError` says what cannot be planned in words a client may read (it
names schema coordinates, never internals). The planner checks its
`Deadline` as it walks, so an operation that would take too long to plan
stops with `PlanningTimeout` instead of holding a worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

DEFAULT_PLANNING_TIMEOUT = 1.0  # seconds


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph."""


class PlanningTimeout(PlanningError):
    """Planning took longer than the router allows."""


@dataclass(frozen=True, slots=True)
class Deadline:
    timeout: float
    expires_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def check(self) -> None:
        if time.monotonic() >= self.expires_at:
            raise PlanningTimeout(f"Planning this operation took longer than {self.timeout:g} s.")
