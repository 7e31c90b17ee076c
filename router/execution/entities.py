"""Entity batches: the objects at a Flatten path and the representations sent for them.

A path walks the data merged so far: a response key steps into objects, "@"
into every item of a list, "|T1,T2" keeps objects whose __typename is one of
those. Each object found becomes a representation by applying the fetch's
`requires` (inline fragments by type) to it; equal representations are sent
once and their result goes back to every object that produced them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
)

from router.execution.coverage import LinkedPath, ResponsePath, materialize
from router.planning.plan import LIST, PathElement

Located = tuple[dict[str, Any], LinkedPath]


class _Missing:
    """A required field absent from an object: it cannot be represented."""


MISSING = _Missing()


@dataclass(slots=True)
class EntityBatch:
    representations: list[dict[str, Any]] = field(default_factory=list)
    # For representation i, the objects (and their paths) it stands for.
    targets: list[list[Located]] = field(default_factory=list)
    # Objects left out because a field their representation needs is absent.
    unrepresentable: list[LinkedPath] = field(default_factory=list)
    # For representation i, what equal representations share (see _identity).
    identities: list[Any] = field(default_factory=list)

    def paths(self) -> list[ResponsePath]:
        """Where the objects of every representation are."""
        return [tuple(materialize(at)) for targets in self.targets for _, at in targets]


def combined(batches: list[EntityBatch]) -> EntityBatch:
    """One batch for the objects of several, equal representations sent once."""
    joined = EntityBatch()
    index_of: dict[Any, int] = {}
    for batch in batches:
        joined.unrepresentable += batch.unrepresentable
        for identity, representation, targets in zip(
            batch.identities, batch.representations, batch.targets, strict=True
        ):
            index = index_of.setdefault(identity, len(joined.representations))
            if index == len(joined.representations):
                joined.representations.append(representation)
                joined.identities.append(identity)
                joined.targets.append([])
            joined.targets[index] += targets
    return joined


def objects_at(data: dict[str, Any], path: Iterable[PathElement]) -> list[Located]:
    current: list[tuple[Any, LinkedPath]] = [(data, None)]
    for element in path:
        found: list[tuple[Any, LinkedPath]] = []
        if element == LIST:
            for value, at in current:
                if isinstance(value, list):
                    found += [(item, (at, i)) for i, item in enumerate(value)]
        elif element.startswith("|"):
            names = set(element[1:].split(","))
            found = [(v, at) for v, at in _objects(current) if v.get("__typename") in names]
        else:
            for value, at in _objects(current):
                if element in value:
                    found.append((value[element], (at, element)))
        current = found
    return _objects(current)


def _objects(located: list[tuple[Any, LinkedPath]]) -> list[Located]:
    """The objects among `located`, stepping into lists a path left implicit."""
    found: list[Located] = []
    for value, at in located:
        if isinstance(value, dict):
            found.append((value, at))
        elif isinstance(value, list):
            found += _objects([(item, (at, i)) for i, item in enumerate(value)])
    return found


def entity_batch(
    objects: list[Located],
    requires: SelectionSetNode,
    schema: GraphQLSchema,
    rename_typename_to: str | None = None,
) -> EntityBatch:
    batch = EntityBatch()
    index_of: dict[Any, int] = {}
    # Per __typename, worked out on first sight: the plain fields (key, name)
    # its representation takes, or None when `requires` nests (then _project).
    plain: dict[str, tuple[bool, tuple[tuple[str, str], ...] | None]] = {}
    for obj, at in objects:
        typename = obj.get("__typename")
        fields: tuple[tuple[str, str], ...] | None = None
        if isinstance(typename, str):
            found = plain.get(typename)
            if found is None:
                found = plain[typename] = _plain_fields(requires, typename, schema)
            applies, fields = found
            if not applies:
                continue
        if fields is not None:
            representation = _take(obj, fields, rename_typename_to)
        else:
            representation = _represent(obj, typename, requires, schema, rename_typename_to)
        if representation is None:
            continue
        if representation is MISSING:
            batch.unrepresentable.append(at)
            continue
        identity = _identity(representation)
        index = index_of.setdefault(identity, len(batch.representations))
        if index == len(batch.representations):
            batch.representations.append(representation)
            batch.identities.append(identity)
            batch.targets.append([])
        batch.targets[index].append((obj, at))
    return batch


def _identity(representation: dict[str, Any]) -> Any:
    """Equal for equal representations (as JSON): the dictionary key deduplicating them.

    Keys and values in order when every value is a string (ids: the usual
    case, and representations of one type list their keys in one order);
    otherwise the JSON with sorted keys, since 1, 1.0 and true are equal in
    Python but not in JSON.
    """
    values = tuple(representation.values())
    for value in values:
        if type(value) is not str:
            return orjson.dumps(representation, option=orjson.OPT_SORT_KEYS)
    return (tuple(representation), values)


def _plain_fields(
    requires: SelectionSetNode, typename: str, schema: GraphQLSchema
) -> tuple[bool, tuple[tuple[str, str], ...] | None]:
    """Whether `requires` applies to `typename`, and its fields if they are all plain."""
    fields: list[tuple[str, str]] = []
    applies = False
    for selection in requires.selections:
        if isinstance(selection, InlineFragmentNode) and not _applies(selection, typename, schema):
            continue
        applies = True
        for inner in _selections_of(selection).selections:
            if not isinstance(inner, FieldNode) or inner.selection_set is not None:
                return True, None
            name = inner.name.value
            fields.append((inner.alias.value if inner.alias else name, name))
    return applies, tuple(fields)


def _take(
    obj: dict[str, Any], fields: tuple[tuple[str, str], ...], rename_typename_to: str | None
) -> Any:
    representation: dict[str, Any] = {}
    for key, name in fields:
        if name == "__typename" and rename_typename_to is not None:
            representation[key] = rename_typename_to
        elif name in obj:
            representation[key] = obj[name]
        else:
            return MISSING
    return representation


def _represent(
    obj: dict[str, Any],
    typename: Any,
    requires: SelectionSetNode,
    schema: GraphQLSchema,
    rename_typename_to: str | None,
) -> Any:
    """The representation of `obj` (None: `requires` does not apply; or MISSING)."""
    representation: dict[str, Any] | None = None
    for selection in requires.selections:
        if isinstance(selection, InlineFragmentNode) and not _applies(selection, typename, schema):
            continue
        part = _project(obj, _selections_of(selection), schema, rename_typename_to)
        if part is MISSING:
            return MISSING
        representation = {**(representation or {}), **part}
    return representation


def _selections_of(selection: Any) -> SelectionSetNode:
    if isinstance(selection, InlineFragmentNode):
        return selection.selection_set
    return SelectionSetNode(selections=(selection,))


def _applies(fragment: InlineFragmentNode, typename: Any, schema: GraphQLSchema) -> bool:
    if fragment.type_condition is None:
        return True
    condition = fragment.type_condition.name.value
    if condition == typename:
        return True
    abstract = schema.get_type(condition)
    runtime = schema.get_type(typename) if isinstance(typename, str) else None
    return (
        runtime is not None and is_abstract_type(abstract) and schema.is_sub_type(abstract, runtime)
    )


def _project(
    value: dict[str, Any],
    selection_set: SelectionSetNode,
    schema: GraphQLSchema,
    rename_typename_to: str | None = None,
) -> Any:
    """What `selection_set` picks from `value`, or MISSING if a field is absent."""
    projected: dict[str, Any] = {}
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            if _applies(selection, value.get("__typename"), schema):
                inner = _project(value, selection.selection_set, schema)
                if inner is MISSING:
                    return MISSING
                projected.update(inner)
            continue
        if not isinstance(selection, FieldNode):
            continue
        # `id: __sg_id` reads the data at `__sg_id` into the representation's
        # `id`: the planner's private alias for a key a client alias took.
        name = selection.name.value
        key = selection.alias.value if selection.alias else name
        if name == "__typename" and rename_typename_to is not None:
            projected[key] = rename_typename_to
            continue
        if name not in value:
            return MISSING
        inner = value[name]
        if selection.selection_set is not None and inner is not None:
            inner = _project_nested(inner, selection.selection_set, schema)
            if inner is MISSING:
                return MISSING
        projected[key] = inner
    return projected


def _project_nested(value: Any, selection_set: SelectionSetNode, schema: GraphQLSchema) -> Any:
    if isinstance(value, list):
        items = [
            None if item is None else _project_nested(item, selection_set, schema) for item in value
        ]
        return MISSING if any(item is MISSING for item in items) else items
    if isinstance(value, dict):
        return _project(value, selection_set, schema)
    return MISSING
