"""Deep merge of subgraph results into the response data, by response key.

Fetches fill the same objects from several subgraphs: each adds its keys, and
objects and lists (same length: the same items) merge member by member. A
null never erases data another fetch gave. A later `__typename` wins: it is
how an object first seen under an @interfaceObject's interface name learns
its concrete type from the interface's owner. (Entity results answered under
an interface name are stripped of it before merging; see the executor.)
"""

from __future__ import annotations

from typing import Any


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
