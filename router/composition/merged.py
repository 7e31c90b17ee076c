"""The supergraph being built: every type with what each subgraph says of it.

Graphs are named by subgraph name here; the printer turns them into
`join__Graph` enum values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ConstValueNode, TypeNode

from router.composition.model import ComposedDirective, Key, Kind, Meta, Subgraph


@dataclass
class FieldSource:
    """How one subgraph declares a field."""

    graph: str
    type: TypeNode
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    shareable: bool = False


@dataclass
class MergedInput:
    """An argument or input field, with its type in each subgraph."""

    name: str
    type: TypeNode
    default: ConstValueNode | None
    meta: Meta
    types: dict[str, TypeNode] = field(default_factory=dict)


@dataclass
class MergedField:
    name: str
    type: TypeNode
    args: dict[str, MergedInput]
    meta: Meta
    sources: dict[str, FieldSource] = field(default_factory=dict)
    # Added to an implementation because an @interfaceObject gives it to the interface.
    from_interface_object: bool = False


@dataclass
class TypeInGraph:
    graph: str
    keys: list[Key] = field(default_factory=list)
    interface_object: bool = False


@dataclass
class MergedEnumValue:
    name: str
    meta: Meta
    graphs: list[str] = field(default_factory=list)


@dataclass
class MergedType:
    name: str
    kind: Kind
    meta: Meta
    graphs: dict[str, TypeInGraph] = field(default_factory=dict)
    implements: dict[str, list[str]] = field(default_factory=dict)  # graph -> interfaces
    members: dict[str, list[str]] = field(default_factory=dict)  # graph -> union members
    values: dict[str, MergedEnumValue] = field(default_factory=dict)
    fields: dict[str, MergedField] = field(default_factory=dict)
    input_fields: dict[str, MergedInput] = field(default_factory=dict)

    @property
    def interfaces(self) -> list[str]:
        seen: list[str] = []
        for names in self.implements.values():
            seen.extend(n for n in names if n not in seen)
        return seen

    @property
    def possible_members(self) -> list[str]:
        seen: list[str] = []
        for names in self.members.values():
            seen.extend(n for n in names if n not in seen)
        return seen


@dataclass
class Merged:
    subgraphs: list[Subgraph]
    types: dict[str, MergedType] = field(default_factory=dict)
    composed: dict[str, ComposedDirective] = field(default_factory=dict)

    def implementations(self, interface: str) -> list[MergedType]:
        return [
            t
            for t in self.types.values()
            if t.kind in ("object", "interface") and interface in t.interfaces
        ]
