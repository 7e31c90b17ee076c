"""Satisfiability: every field of the API schema can be fetched wherever a query reaches it.

Queries are walked over the API schema from the root types, breadth first.
At each step the walk knows the *options*: the subgraphs in which the current
object may be at that point (the ones that can resolve the step, and any
subgraph reachable from those by an entity jump: a resolvable `@key` of the
type whose fields the current subgraph resolves itself). A field is
satisfiable if some option resolves it (not `@external`, not overridden away,
and its `@requires` fields resolvable by some option), or, for an interface,
if every implementation possible in the options satisfies it. Fields added by
an `@interfaceObject` are satisfiable when an option can jump to that
subgraph through the interface's key.

What it does not model: `@provides` (provided fields are not counted as
resolvable, and the walk does not enter them; this can reject a supergraph
whose only route to a field is a provided one), nested `@requires` selections
(only their top-level fields are checked), and key fields gathered from other
subgraphs before a jump (a subgraph can only jump with keys it resolves).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import FieldNode, SelectionSetNode

from router.composition.errors import Code, Errors
from router.composition.fieldset import named_type, parse_field_set, top_level_names
from router.composition.merged import Merged, MergedField, MergedType


@dataclass(frozen=True)
class _Step:
    type: str
    options: frozenset[str]
    path: tuple[str, ...]


class _Checker:
    def __init__(self, merged: Merged, errors: Errors) -> None:
        self.merged = merged
        self.errors = errors
        self.reported: set[str] = set()

    def visible(self, name: str) -> MergedType | None:
        found = self.merged.types.get(name)
        return found if found is not None and not found.meta.inaccessible else None

    def resolves(self, parent: MergedType, field: MergedField, graph: str) -> bool:
        source = field.sources.get(graph)
        return (
            not field.from_interface_object
            and graph in parent.graphs
            and source is not None
            and not source.external
            and not source.used_overridden
        )

    def collectable(self, parent: MergedType, selection: SelectionSetNode, graph: str) -> bool:
        for node in selection.selections:
            if not isinstance(node, FieldNode):
                return False
            if node.name.value == "__typename":
                continue
            field = parent.fields.get(node.name.value)
            if field is None or not self.resolves(parent, field, graph):
                return False
            if node.selection_set is not None:
                target = self.merged.types.get(named_type(field.type))
                if target is None or not self.collectable(target, node.selection_set, graph):
                    return False
        return True

    def can_jump(self, parent: MergedType, source: str, target: str) -> bool:
        for key in parent.graphs[target].keys:
            selection = parse_field_set(key.fields)
            if key.resolvable and selection and self.collectable(parent, selection, source):
                return True
        return False

    def closure(self, parent: MergedType, options: frozenset[str]) -> frozenset[str]:
        reached = set(options) & set(parent.graphs)
        queue = deque(reached)
        while queue:
            source = queue.popleft()
            for target in parent.graphs:
                if target not in reached and self.can_jump(parent, source, target):
                    reached.add(target)
                    queue.append(target)
        return frozenset(reached)

    def run(self) -> None:
        queue: deque[_Step] = deque()
        for root in ("Query", "Mutation", "Subscription"):
            found = self.merged.types.get(root)
            if found is not None:
                queue.append(_Step(root, frozenset(found.graphs), (root.lower(),)))
        seen: set[tuple[str, frozenset[str]]] = set()
        while queue:
            step = queue.popleft()
            if (step.type, step.options) in seen:
                continue
            seen.add((step.type, step.options))
            parent = self.visible(step.type)
            if parent is not None:
                queue.extend(self.explore(parent, step))

    def explore(self, parent: MergedType, step: _Step) -> list[_Step]:
        options = self.closure(parent, step.options)
        following: list[_Step] = []
        for member in self.possible_types(parent, options):
            member_options = frozenset(g for g in options if self.possible_in(parent, member, g))
            following.append(
                _Step(member.name, member_options, (*step.path, f"... on {member.name}"))
            )
        for field in parent.fields.values():
            # Built-in scalars are not in the model: they are visible leaves.
            target = self.merged.types.get(named_type(field.type))
            if field.meta.inaccessible or (target is not None and target.meta.inaccessible):
                continue
            resolvers = self.resolvers(parent, field, options)
            if not resolvers and not self.exploded(parent, field, options):
                self.report(parent, field, step, options)
                continue
            if target is not None and target.kind in ("object", "interface", "union") and resolvers:
                following.append(_Step(target.name, resolvers, (*step.path, field.name)))
        return following

    def resolvers(
        self, parent: MergedType, field: MergedField, options: frozenset[str]
    ) -> frozenset[str]:
        if field.from_interface_object:
            return self.interface_object_resolvers(parent, field, options)
        found = set()
        for graph in options:
            if self.resolves(parent, field, graph) and self.requires_met(
                parent, field, graph, options
            ):
                found.add(graph)
        return frozenset(found)

    def requires_met(
        self, parent: MergedType, field: MergedField, graph: str, options: frozenset[str]
    ) -> bool:
        requires = field.sources[graph].requires
        if requires is None:
            return True
        for name in top_level_names(requires):
            required = parent.fields.get(name)
            if required is None or not any(self.resolves(parent, required, g) for g in options):
                return False
        return True

    def interface_object_resolvers(
        self, parent: MergedType, field: MergedField, options: frozenset[str]
    ) -> frozenset[str]:
        found = set()
        for interface_name in parent.interfaces:
            interface = self.merged.types.get(interface_name)
            if interface is None or field.name not in interface.fields:
                continue
            for graph in interface.graphs.values():
                if not graph.interface_object:
                    continue
                if not self.resolves(interface, interface.fields[field.name], graph.graph):
                    continue
                if any(self.interface_jump(parent, interface, g, graph.graph) for g in options):
                    found.add(graph.graph)
        return frozenset(found)

    def interface_jump(
        self, parent: MergedType, interface: MergedType, source: str, target: str
    ) -> bool:
        for key in interface.graphs[target].keys:
            selection = parse_field_set(key.fields)
            if key.resolvable and selection and self.collectable(parent, selection, source):
                return True
        return False

    def exploded(self, parent: MergedType, field: MergedField, options: frozenset[str]) -> bool:
        """An interface field no option resolves may still resolve on every implementation."""
        if parent.kind != "interface":
            return False
        implementations = self.possible_types(parent, options)
        if not implementations:
            return False
        for member in implementations:
            member_field = member.fields.get(field.name)
            member_options = frozenset(g for g in options if self.possible_in(parent, member, g))
            closure = self.closure(member, member_options)
            if member_field is None or not self.resolvers(member, member_field, closure):
                return False
        return True

    def possible_types(self, parent: MergedType, options: frozenset[str]) -> list[MergedType]:
        if parent.kind not in ("interface", "union"):
            return []
        candidates = (
            self.merged.implementations(parent.name)
            if parent.kind == "interface"
            else [self.merged.types[m] for m in parent.possible_members if m in self.merged.types]
        )
        return [
            c
            for c in candidates
            if c.kind == "object"
            and not c.meta.inaccessible
            and any(self.possible_in(parent, c, g) for g in options)
        ]

    def possible_in(self, parent: MergedType, member: MergedType, graph: str) -> bool:
        if parent.kind == "union":
            return member.name in parent.members.get(graph, [])
        return parent.name in member.implements.get(graph, [])

    def reason(
        self,
        parent: MergedType,
        field: MergedField,
        graph: str,
        declared: set[str],
        options: frozenset[str],
    ) -> str:
        coordinate = f"{parent.name}.{field.name}"
        if self.resolves(parent, field, graph):
            requires = field.sources[graph].requires
            return (
                f'cannot satisfy @requires(fields: "{requires}") on "{coordinate}": no subgraph'
                " reachable from here resolves those fields"
            )
        if not declared:
            return f'cannot find field "{coordinate}"'
        return (
            f'cannot find field "{coordinate}" and cannot move to a subgraph that resolves it'
            f' (no subgraph having it has a resolvable @key whose fields "{graph}" resolves)'
        )

    def report(
        self, parent: MergedType, field: MergedField, step: _Step, options: frozenset[str]
    ) -> None:
        coordinate = f"{parent.name}.{field.name}"
        if coordinate in self.reported:
            return
        self.reported.add(coordinate)
        declared = {g for g, s in field.sources.items() if not s.external}
        reasons = "\n".join(
            f'- from subgraph "{g}": ' + self.reason(parent, field, g, declared, options)
            for g in sorted(options)
        )
        errors_graphs = sorted(set(options) | declared)
        query = _query((*step.path[1:], field.name), step.path[0])
        self.errors.add(
            Code.SATISFIABILITY_ERROR,
            f"The following supergraph API query:\n{query}\ncannot be satisfied by the"
            f" subgraphs because:\n{reasons}",
            errors_graphs,
            coordinate,
        )


def _query(path: tuple[str, ...], operation: str) -> str:
    lines = [f"{operation} {{" if operation != "query" else "{"]
    for depth, element in enumerate(path, start=1):
        is_last = depth == len(path)
        lines.append("  " * depth + element + ("" if is_last else " {"))
    lines.extend("  " * depth + "}" for depth in range(len(path) - 1, -1, -1))
    return "\n".join(lines)


def check_satisfiability(merged: Merged, errors: Errors) -> None:
    _Checker(merged, errors).run()
