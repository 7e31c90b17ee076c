"""Subgraph errors as the client sees them, and what a fetch would have filled.

Errors a subgraph returns keep their message and extensions, gain
`extensions.serviceName`, and lose `locations` (they point into the
subgraph's operation, not the client's). Entity errors at
`["_entities", i, ...]` move to the path of every object representation i
came from. A fetch that gave no response at all becomes an error naming the
service, with code SUBGRAPH_ERROR.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from router.execution.coverage import ResponsePath
from router.operation.lru import LruCache
from router.planning.plan import Fetch

SUBGRAPH_ERROR = "SUBGRAPH_ERROR"

_scopes: LruCache[str, tuple[str, ...]] = LruCache(512)


def client_error(error: Any, service: str, path: list[str | int] | None) -> dict[str, Any]:
    """A subgraph's error entry, re-pathed to `path` (None: no path)."""
    if isinstance(error, dict):
        message = error.get("message")
        extensions = error.get("extensions")
    else:
        message, extensions = None, None
    entry: dict[str, Any] = {
        "message": message if isinstance(message, str) else f"Subgraph '{service}' failed."
    }
    if path is not None:
        entry["path"] = path
    entry["extensions"] = {
        **(extensions if isinstance(extensions, dict) else {}),
        "serviceName": service,
    }
    return entry


def error_path(error: Any) -> list[str | int] | None:
    path = error.get("path") if isinstance(error, dict) else None
    if isinstance(path, list) and all(isinstance(p, str | int) for p in path):
        return path
    return None


def failure_error(service: str, reason: str, path: ResponsePath | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": f"Fetch from subgraph '{service}' failed: {reason}."}
    if path:
        entry["path"] = list(path)
    entry["extensions"] = {"code": SUBGRAPH_ERROR, "serviceName": service}
    return entry


def common_prefix(paths: list[ResponsePath]) -> ResponsePath:
    if not paths:
        return ()
    first = paths[0]
    end = len(first)
    for path in paths[1:]:
        end = min(end, len(path))
        for i in range(end):
            if path[i] != first[i]:
                end = i
                break
    return first[:end]


def fetch_scope(fetch: Fetch, entity: bool) -> tuple[str, ...]:
    """The response keys a fetch fills at its root (or in each entity it returns)."""
    if fetch.response_keys is not None:  # the planner's
        return fetch.response_keys
    # A fetch made by hand (tests, tools): read from its operation, once.
    operation = fetch.operation
    key = ("E" if entity else "R") + operation
    found = _scopes.get(key)
    if found is None:
        found = _scope(operation, entity)
        _scopes.put(key, found)
    return found


def _scope(operation: str, entity: bool) -> tuple[str, ...]:
    try:
        document = parse(operation, no_location=True)
    except GraphQLError:
        return ()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    roots = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not roots:
        return ()
    keys = _keys(roots[0].selection_set, fragments)
    if not entity:
        return tuple(keys)
    for field in _fields(roots[0].selection_set, fragments):
        if field.name.value == "_entities" and field.selection_set is not None:
            return tuple(_keys(field.selection_set, fragments))
    return ()


def _keys(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[str]:
    keys: list[str] = []
    for field in _fields(selection_set, fragments):
        key = field.alias.value if field.alias else field.name.value
        if key not in keys and key != "__typename":
            keys.append(key)
    return keys


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            definition = fragments.get(selection.name.value)
            if definition is not None:
                found += _fields(definition.selection_set, fragments)
    return found
