"""Which response paths already carry an error that explains a null there.

When shaping finds a null in a non-null position it adds the specification's
"Cannot return null for non-nullable field" error, unless a subgraph error or
a failed fetch already accounts for that path: an error at the path, below
it (the subgraph nulled a child and propagated), or above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ResponsePath = tuple[str | int, ...]
# A response path as a chain of (parent path, key) links: one tuple a step
# while walking data, made into a list only when an error needs it.
LinkedPath = tuple[Any, str | int] | None


def materialize(path: LinkedPath) -> list[str | int]:
    keys: list[str | int] = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys


class ErrorCoverage:
    def __init__(self) -> None:
        self._paths: set[ResponsePath] = set()
        self._prefixes: set[ResponsePath] = set()  # every prefix of every covered path

    def add(self, path: Sequence[str | int]) -> None:
        covered = tuple(path)
        if covered in self._paths:
            return
        self._paths.add(covered)
        for end in range(len(covered) + 1):
            self._prefixes.add(covered[:end])

    def covers(self, path: ResponsePath) -> bool:
        if path in self._prefixes:
            return True
        return any(path[:end] in self._paths for end in range(len(path)))

    def __bool__(self) -> bool:
        return bool(self._paths)
