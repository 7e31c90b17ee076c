"""Size limits on a parsed document: field depth and alias count.

They run before validation because validation itself is what a hostile
document attacks (overlapping-field checks are quadratic in aliased fields).
Fragments are measured once each and reused per spread, so a document of
fragments spreading each other many times cannot make the measure explode;
a fragment cycle measures as empty (validation rejects the cycle).
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
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    aliases: int


class _Measurer:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, Measure] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode) -> Measure:
        depth = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = (
                    self.selection_set(selection.selection_set)
                    if selection.selection_set is not None
                    else Measure(0, 0)
                )
                depth = max(depth, inner.depth + 1)
                aliases += inner.aliases + (selection.alias is not None)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
        return Measure(depth, aliases)

    def fragment(self, name: str) -> Measure:
        found = self.done.get(name)
        if found is not None:
            return found
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return Measure(0, 0)
        self.in_progress.add(name)
        measure = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        self.done[name] = measure
        return measure


def measure_operations(document: DocumentNode) -> list[tuple[OperationDefinitionNode, Measure]]:
    """Depth and alias count of every operation, fragments expanded."""
    measurer = _Measurer(document)
    return [
        (definition, measurer.selection_set(definition.selection_set))
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
