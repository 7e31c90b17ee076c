"""Field sets: the `fields:` strings of `@key`, `@requires` and `@provides`.

A field set parses as the inside of a selection set. `walk` checks one against
a subgraph's types and reports each field it selects, so each directive's rules
can judge the selection their own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    parse,
)

if TYPE_CHECKING:
    from router.composition.model import Field, Subgraph, TypeDef

Problem = Literal["syntax", "arguments", "unknown", "directive", "args", "selection"]


@dataclass(frozen=True)
class Selected:
    parent: TypeDef
    field: Field
    depth: int  # 0 for fields of the annotated type itself
    under_external: bool  # some enclosing selected field is @external


@dataclass
class Walk:
    selected: list[Selected]
    problems: list[tuple[Problem, str]]


def parse_field_set(fields: str) -> SelectionSetNode | None:
    try:
        document = parse(f"{{{fields}}}", no_location=True)
    except GraphQLError:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return None
    return operation.selection_set


def top_level_names(fields: str) -> set[str]:
    selection_set = parse_field_set(fields)
    if selection_set is None:
        return set()
    return {s.name.value for s in selection_set.selections if isinstance(s, FieldNode)}


def named_type(type_node: TypeNode) -> str:
    while isinstance(type_node, (ListTypeNode, NonNullTypeNode)):
        type_node = type_node.type
    if isinstance(type_node, NamedTypeNode):
        return type_node.name.value
    raise TypeError(f"not a type reference: {type_node!r}")


def walk(fields: str, type_name: str, subgraph: Subgraph) -> Walk:
    result = Walk([], [])
    selection_set = parse_field_set(fields)
    if selection_set is None:
        result.problems.append(("syntax", f'"{fields}" does not parse as a selection set'))
        return result
    _walk(selection_set, type_name, subgraph, 0, False, result)
    return result


def _walk(
    selection_set: SelectionSetNode,
    type_name: str,
    subgraph: Subgraph,
    depth: int,
    under_external: bool,
    result: Walk,
) -> None:
    parent = subgraph.types.get(type_name)
    if parent is None:
        result.problems.append(("unknown", f'type "{type_name}" is not defined'))
        return
    for selection in selection_set.selections:
        if selection.directives:
            result.problems.append(("directive", "directive applications are not supported"))
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = condition.name.value if condition else type_name
            if not _possible(subgraph, type_name, target):
                result.problems.append(
                    ("unknown", f'type condition "{target}" never applies to "{type_name}"')
                )
                continue
            _walk(selection.selection_set, target, subgraph, depth, under_external, result)
            continue
        if not isinstance(selection, FieldNode):
            result.problems.append(("syntax", "fragment spreads are not allowed"))
            continue
        _visit_field(selection, parent, subgraph, depth, under_external, result)


def _visit_field(
    node: FieldNode,
    parent: TypeDef,
    subgraph: Subgraph,
    depth: int,
    under_external: bool,
    result: Walk,
) -> None:
    name = node.name.value
    if name == "__typename":
        return
    if node.alias is not None:
        result.problems.append(("syntax", f'"{parent.name}.{name}" has an alias'))
    if node.arguments:
        # Federation 2.1 lets @requires pass arguments; @key and @provides may not.
        result.problems.append(("arguments", f'"{parent.name}.{name}" is given arguments'))
    found = parent.fields.get(name)
    if found is None:
        result.problems.append(("unknown", f'cannot query field "{name}" on type "{parent.name}"'))
        return
    if found.args:
        result.problems.append(("args", f'field "{parent.name}.{name}" has arguments'))
    result.selected.append(Selected(parent, found, depth, under_external))
    target = subgraph.types.get(named_type(found.type))
    composite = target is not None and target.kind in ("object", "interface", "union")
    if composite and node.selection_set is None:
        result.problems.append(
            ("selection", f'field "{parent.name}.{name}" is composite and needs a selection')
        )
    elif not composite and node.selection_set is not None:
        result.problems.append(
            ("selection", f'field "{parent.name}.{name}" is a leaf and takes no selection')
        )
    elif composite and target is not None and node.selection_set is not None:
        external = under_external or (found.external and not parent.is_fake_external(name))
        _walk(node.selection_set, target.name, subgraph, depth + 1, external, result)


def _possible(subgraph: Subgraph, abstract: str, target: str) -> bool:
    if abstract == target:
        return True
    parent = subgraph.types.get(abstract)
    child = subgraph.types.get(target)
    if parent is None or child is None:
        return False
    if parent.kind == "union":
        return target in parent.members
    if parent.kind == "interface":
        return abstract in child.interfaces
    return False
