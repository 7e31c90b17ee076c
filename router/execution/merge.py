"""Deep merge of subgraph results into the response data, by response key.

Fetches fill the same objects from several subgraphs: each adds its keys, and
objects and lists (same length: the same items) merge member by member. A
null never erases data another fetch gave. A later `__typename` wins: it is
how an object first seen under an @interfaceObject's interface name learns
its concrete type from the interface's owner. (Entity results answered under
an interface name are stripped of it before merging; see the executor.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from router.execution.entities import objects_at
from router.planning.plan import Rename


def merge_into(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        if key not in target:
            target[key] = value
        else:
            target[key] = _merged(target[key], value)


def _merged(existing: Any, value: Any) -> Any:
    if value is None:
        return existing
    if isinstance(existing, dict) and isinstance(value, dict):
        merge_into(existing, value)
        return existing
    if isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
        for index, item in enumerate(value):
            existing[index] = _merged(existing[index], item)
        return existing
    return value


def rename_back(data: dict[str, Any], renames: Iterable[Rename]) -> None:
    """Values a fetch took under a private alias go back under their response key."""
    for rename in renames:
        for obj, _ in objects_at(data, rename.path):
            if rename.alias in obj:
                value = obj.pop(rename.alias)
                obj[rename.key] = _merged(obj[rename.key], value) if rename.key in obj else value
