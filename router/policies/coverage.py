"""Error coverage that also counts the fields authorization removed.

A removed field comes back null with its own error; when it is non-null, the
null propagates and shaping must not add "Cannot return null" on top. Removed
paths name list positions `@`, which stands for any index here.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.execution.coverage import ErrorCoverage, ResponsePath
from router.policies.filtering import ErrorPath


class DeniedCoverage(ErrorCoverage):
    def __init__(self, inner: ErrorCoverage, removed: Sequence[ErrorPath]) -> None:
        super().__init__()
        self.inner = inner
        self.removed = removed

    def add(self, path: Sequence[str | int]) -> None:
        self.inner.add(path)

    def covers(self, path: ResponsePath) -> bool:
        return self.inner.covers(path) or any(_overlaps(path, removed) for removed in self.removed)

    def __bool__(self) -> bool:
        return bool(self.removed) or bool(self.inner)


def _overlaps(path: ResponsePath, removed: ErrorPath) -> bool:
    """Whether one is a prefix of the other (an error at, above or below the path)."""
    return all(
        key == wanted or (wanted == "@" and isinstance(key, int))
        for key, wanted in zip(path, removed, strict=False)
    )
