"""One subgraph after parsing: its types with federation directives read into fields.

Everything here uses the federation spec's own names (`key`, `shareable`, ...)
whatever the subgraph imported them as, and root types are always named
`Query`, `Mutation` and `Subscription`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graphql import ConstDirectiveNode, ConstValueNode, TypeNode

from router.composition.fieldset import top_level_names

Kind = Literal["object", "interface", "union", "enum", "input", "scalar"]
ROOT_TYPES = ("Query", "Mutation", "Subscription")


@dataclass(frozen=True)
class ListSize:
    """`@listSize` of the cost spec: how long a list field's answer is assumed to be."""

    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] | None = None
    sized_fields: tuple[str, ...] | None = None
    require_one_slicing_argument: bool = True


@dataclass
class Meta:
    """Directive-borne facts any schema element may carry into the supergraph."""

    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    authenticated: bool = False
    scopes: list[list[str]] | None = None
    policies: list[list[str]] | None = None
    deprecated: ConstDirectiveNode | None = None
    specified_by: ConstDirectiveNode | None = None
    cost: int | None = None  # `@cost(weight:)`
    list_size: ListSize | None = None
    composed: list[ConstDirectiveNode] = field(default_factory=list)


@dataclass
class InputValue:
    """An argument or an input object field."""

    name: str
    type: TypeNode
    default: ConstValueNode | None
    meta: Meta


@dataclass
class Field:
    name: str
    type: TypeNode
    args: dict[str, InputValue]
    meta: Meta
    shareable: bool = False
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None


@dataclass(frozen=True)
class Key:
    fields: str
    resolvable: bool
    # Declared on `extend type` (or a type with @extends); equal keys compare equal.
    extension: bool = field(default=False, compare=False)


@dataclass
class EnumValue:
    name: str
    meta: Meta


@dataclass
class TypeDef:
    name: str
    kind: Kind
    meta: Meta = field(default_factory=Meta)
    keys: list[Key] = field(default_factory=list)
    extension: bool = True  # until a plain definition (without @extends) shows up
    interface_object: bool = False
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    fields: dict[str, Field] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)

    def key_field_names(self) -> set[str]:
        """Top-level field names used by any of this type's keys."""
        names: set[str] = set()
        for key in self.keys:
            names |= top_level_names(key.fields)
        return names

    def is_fake_external(self, field_name: str) -> bool:
        """Federation 1 style `extend type T @key(...) { id: ID! @external }`.

        Such key fields are resolvable by the subgraph: the @external is only a
        leftover of the extension syntax.
        """
        found = self.fields.get(field_name)
        return (
            found is not None
            and found.external
            and self.extension
            and field_name in self.key_field_names()
        )


@dataclass(frozen=True)
class ComposedDirective:
    """A custom directive a subgraph asks to keep with `@composeDirective`."""

    name: str  # local name, without "@"
    element: str  # its name in the linked spec, without "@"
    definition: str  # printed definition
    link_url: str
    link_identity: str  # the link URL without its version
    link_import: str  # the import entry to print in the supergraph's @link
    repeatable: bool


@dataclass
class Subgraph:
    name: str
    url: str
    graph_id: str  # its join__Graph enum value
    version: tuple[int, int]
    types: dict[str, TypeDef] = field(default_factory=dict)
    composed: dict[str, ComposedDirective] = field(default_factory=dict)

    def field(self, type_name: str, field_name: str) -> Field | None:
        found = self.types.get(type_name)
        return found.fields.get(field_name) if found else None
