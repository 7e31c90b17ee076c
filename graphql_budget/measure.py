"""Size limits on a parsed document: field depth, alias count, query nodes, and
root fields per mutation.

They run before validation because validation itself is what a hostile
document attacks (overlapping-field checks are quadratic in aliased fields).
Fragments are measured once each and reused per spread, so a document of
fragments spreading each other many times cannot make the measure explode;
a fragment cycle measures as empty (validation rejects the cycle).

Query nodes are the field selections the operation has once its fragments
are expanded. A fragment spread a second time in one selection set, under
the same directives, adds nothing and counts once, as every later stage
expands it once; so the count bounds the work of every stage that expands
fragments, and is computed without expanding them.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    print_ast,
)


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    aliases: int
    nodes: int


EMPTY = Measure(0, 0, 0)


class _Measurer:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, Measure] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode) -> Measure:
        depth = aliases = nodes = 0
        spread: set[str] = set()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = (
                    self.selection_set(selection.selection_set)
                    if selection.selection_set is not None
                    else EMPTY
                )
                depth = max(depth, inner.depth + 1)
                aliases += inner.aliases + (selection.alias is not None)
                nodes += inner.nodes + 1
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                key = " ".join([selection.name.value, *map(print_ast, selection.directives or ())])
                if key in spread:
                    continue
                spread.add(key)
                inner = self.fragment(selection.name.value)
            else:
                continue
            depth, aliases, nodes = (
                max(depth, inner.depth),
                aliases + inner.aliases,
                nodes + inner.nodes,
            )
        return Measure(depth, aliases, nodes)

    def fragment(self, name: str) -> Measure:
        found = self.done.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return EMPTY
        self.in_progress.add(name)
        measure = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        self.done[name] = measure
        return measure


def excess(
    measure: Measure, max_depth: int, max_aliases: int, max_query_nodes: int
) -> tuple[str, str] | None:
    """The first limit `measure` passes, as (code, what the operation does), or None."""
    if measure.depth > max_depth:
        return "MAX_DEPTH_EXCEEDED", f"is {measure.depth} fields deep; the limit is {max_depth}."
    if measure.aliases > max_aliases:
        return (
            "MAX_ALIASES_EXCEEDED",
            f"uses {measure.aliases} aliases; the limit is {max_aliases}.",
        )
    if measure.nodes > max_query_nodes:
        return (
            "MAX_QUERY_NODES_EXCEEDED",
            f"selects {measure.nodes} fields once its fragments are expanded; "
            f"the limit (max query nodes) is {max_query_nodes}.",
        )
    return None


def measure_operations(document: DocumentNode) -> list[tuple[OperationDefinitionNode, Measure]]:
    """Depth, alias count and query nodes of every operation, fragments expanded."""
    measurer = _Measurer(document)
    return [
        (definition, measurer.selection_set(definition.selection_set))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]


def mutation_root_fields(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """Root fields `operation` runs if it is a mutation (0 for queries and subscriptions).

    Each root field of a mutation is one action (one `register`, one `checkout`),
    so aliasing one many times multiplies what a single request does. Fields in
    fragments spread at the root count too; `__typename` does no action.
    """
    if operation.operation is not OperationType.MUTATION:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    seen: set[str] = set()

    def count(selection_set: SelectionSetNode) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value != "__typename"
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # A fragment spread twice runs its fields once (the response merges them).
                if name in seen or name not in fragments:
                    continue
                seen.add(name)
                total += count(fragments[name].selection_set)
        return total

    return count(operation.selection_set)
