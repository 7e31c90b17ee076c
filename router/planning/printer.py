"""Printing a query plan as indented text, in the style of Apollo's plan output."""

from __future__ import annotations

from graphql import FieldNode, print_ast

from router.planning.plan import (
    Condition,
    Fetch,
    Flatten,
    Parallel,
    PathElement,
    PlanNode,
    QueryPlan,
    Sequence,
)
from router.supergraph.fieldset import parse_selection_set

INDENT = "  "


def print_plan(plan: QueryPlan) -> str:
    lines = ["QueryPlan {"]
    if plan.node is not None:
        lines += _node(plan.node, 1)
    lines.append("}")
    return "\n".join(lines)


def print_path(path: tuple[PathElement, ...]) -> str:
    text = ""
    for element in path:
        if element.startswith("|"):
            text += f"|[{element[1:]}]"
        else:
            text += ("." if text else "") + element
    return text


def _node(node: PlanNode, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(node, Fetch):
        return _fetch(node, depth)
    if isinstance(node, Flatten):
        return [
            f'{pad}Flatten(path: "{print_path(node.path)}") {{',
            *_fetch(node.node, depth + 1),
            f"{pad}}},",
        ]
    if isinstance(node, (Sequence, Parallel)):
        lines = [f"{pad}{type(node).__name__} {{"]
        for child in node.nodes:
            lines += _node(child, depth + 1)
        return [*lines, f"{pad}}},"]
    return _condition(node, depth)


def _condition(node: Condition, depth: int) -> list[str]:
    pad = INDENT * depth
    lines = [f"{pad}Include(if: ${node.variable}) {{"]
    if node.if_clause is not None:
        lines += _node(node.if_clause, depth + 1)
    if node.else_clause is not None:
        lines += [f"{pad}}} Else {{", *_node(node.else_clause, depth + 1)]
    return [*lines, f"{pad}}},"]


def _fetch(fetch: Fetch, depth: int) -> list[str]:
    pad = INDENT * depth
    inner = INDENT * (depth + 1)
    lines = [f'{pad}Fetch(service: "{fetch.service}") {{']
    if fetch.requires is not None:
        lines += _block(print_ast(fetch.requires), inner)
        lines[-1] += " =>"
    selection = fetch.selection
    lines += _block(
        print_ast(selection) if selection is not None else _compact(fetch.operation), inner
    )
    return [*lines, f"{pad}}},"]


def _block(text: str, pad: str) -> list[str]:
    return [pad + line for line in text.splitlines()]


def _compact(operation: str) -> str:
    """What the fetch selects: the selection set, inside `_entities` for entity fetches."""
    selection_set = parse_selection_set(operation)
    first = selection_set.selections[0]
    if isinstance(first, FieldNode) and first.name.value == "_entities" and first.selection_set:
        selection_set = first.selection_set
    return print_ast(selection_set)
