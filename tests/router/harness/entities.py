"""Entity tables of a test subgraph: finding a row by any of its type's keys.

A key is a field set (`id`, `tenant id`, `id organization { id }`). A row
matches an object when both project to the same values through the key; an
object that lacks a key field cannot match through that key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, SelectionSetNode

from router.supergraph.fieldset import parse_selection_set

Row = Mapping[str, Any]


class _Missing:
    """Marks a key field absent from an object (distinct from a null value)."""


MISSING = _Missing()


@dataclass(frozen=True)
class KeyFields:
    type_name: str
    fields: str
    selection_set: SelectionSetNode
    resolvable: bool = True


def parse_field_set(fields: str) -> SelectionSetNode:
    return parse_selection_set(f"{{ {fields} }}")


def project(value: Any, selection_set: SelectionSetNode) -> Any:
    """The part of `value` the field set selects, or MISSING if any of it is absent."""
    if isinstance(value, list):
        items = [project(item, selection_set) for item in value]
        return MISSING if any(item is MISSING for item in items) else items
    if not isinstance(value, Mapping):
        return MISSING
    projected: dict[str, Any] = {}
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue
        name = selection.name.value
        if name not in value:
            return MISSING
        inner = value[name]
        if selection.selection_set is not None and inner is not None:
            inner = project(inner, selection.selection_set)
            if inner is MISSING:
                return MISSING
        projected[name] = inner
    return projected


def deep_merge(base: Row, update: Row) -> dict[str, Any]:
    """`base` with `update` laid over it; nested objects merge, other values are replaced."""
    merged = dict(base)
    for name, value in update.items():
        current = merged.get(name)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[name] = deep_merge(current, value)
        else:
            merged[name] = value
    return merged


class EntityStore:
    """Rows per type name, looked up through the keys the subgraph declares."""

    def __init__(self, tables: Mapping[str, Sequence[Row]], keys: Sequence[KeyFields]) -> None:
        self._tables = tables
        self._keys: dict[str, list[KeyFields]] = {}
        for key in keys:
            self._keys.setdefault(key.type_name, []).append(key)

    def has_table(self, type_name: str) -> bool:
        return type_name in self._tables

    def keys_of(self, type_name: str) -> list[KeyFields]:
        return self._keys.get(type_name, [])

    def find(self, type_name: str, reference: Row, *, resolvable_only: bool = False) -> Row | None:
        """The row of `type_name` that `reference` names through one of the type's keys."""
        rows = self._tables.get(type_name)
        if not rows:
            return None
        for key in self.keys_of(type_name):
            if resolvable_only and not key.resolvable:
                continue
            wanted = project(reference, key.selection_set)
            if wanted is MISSING:
                continue
            for row in rows:
                if project(row, key.selection_set) == wanted:
                    return row
        return None

    def find_by_arguments(self, type_name: str, arguments: Row) -> Row | None:
        """The row whose key is exactly the given arguments (`product(id: "1")`)."""
        if not arguments:
            return None
        for key in self.keys_of(type_name):
            names = {
                selection.name.value
                for selection in key.selection_set.selections
                if isinstance(selection, FieldNode)
            }
            if names == set(arguments):
                return self.find(type_name, arguments)
        return None

    def names_resolvable_key(self, type_name: str, reference: Row) -> bool:
        return any(
            key.resolvable and project(reference, key.selection_set) is not MISSING
            for key in self.keys_of(type_name)
        )
