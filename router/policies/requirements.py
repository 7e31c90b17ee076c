"""Which schema coordinates the authorization directives protect, read once per supergraph.

The supergraph carries `@authenticated`, `@requiresScopes` and `@policy` (under
whatever names its `@link`s give them) on fields, objects, interfaces, scalars
and enums. A field `Type.field` is protected by its own directives, by those of
`Type`, and by those of its named return type; an interface field also by the
same field of every implementation, so selecting it through the interface
reveals no more than selecting it on the object would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graphql import (
    DirectiveNode,
    DocumentNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    get_named_type,
    value_from_ast_untyped,
)

SPECS = {
    "https://specs.apollo.dev/authenticated": "authenticated",
    "https://specs.apollo.dev/requiresScopes": "requiresScopes",
    "https://specs.apollo.dev/policy": "policy",
}

Kind = Literal["authenticated", "requiresScopes", "policy"]
Coordinate = tuple[str, str]  # (parent type, field)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One applied directive: `authenticated`, or alternatives of scopes/policies all needed."""

    kind: Kind
    alternatives: frozenset[frozenset[str]] = frozenset()


@dataclass(frozen=True, slots=True)
class AccessRules:
    """Protected field coordinates of the API schema, each with what it requires."""

    fields: Mapping[Coordinate, frozenset[Requirement]]

    def __bool__(self) -> bool:
        return bool(self.fields)


def read_rules(document: DocumentNode, schema: GraphQLSchema) -> AccessRules:
    """The rules of a supergraph: `document` its parsed SDL, `schema` the API schema."""
    names = directive_names(document)
    if not names:
        return AccessRules({})
    on_types = _type_requirements(document, names)
    own = _field_requirements(document, names)
    fields: dict[Coordinate, frozenset[Requirement]] = {}
    for named in schema.type_map.values():
        if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType)):
            continue
        parent = on_types.get(named.name, frozenset())
        if parent:
            fields[(named.name, "__typename")] = parent
        for field_name, field in named.fields.items():
            returned = get_named_type(field.type)
            found = (
                own.get((named.name, field_name), frozenset())
                | parent
                | on_types.get(returned.name, frozenset())
            )
            if found:
                fields[(named.name, field_name)] = found
    for named in schema.type_map.values():
        if isinstance(named, GraphQLInterfaceType):
            _inherit(named, schema.get_possible_types(named), fields)
    return AccessRules(fields)


def _inherit(
    interface: GraphQLInterfaceType,
    implementations: Iterable[GraphQLNamedType],
    fields: dict[Coordinate, frozenset[Requirement]],
) -> None:
    for field_name in interface.fields:
        found = fields.get((interface.name, field_name), frozenset())
        for implementation in implementations:
            found |= fields.get((implementation.name, field_name), frozenset())
        if found:
            fields[(interface.name, field_name)] = found


def directive_names(document: DocumentNode) -> dict[str, Kind]:
    """Local directive name -> the spec directive it stands for, from the schema's @links."""
    names: dict[str, Kind] = {}
    for definition in document.definitions:
        if not isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        for directive in definition.directives or ():
            arguments = _arguments(directive)
            url = arguments.get("url")
            if not isinstance(url, str):
                continue
            identity, _, _ = url.rstrip("/").rpartition("/")
            kind: Any = SPECS.get(identity)
            if kind is None:
                continue
            namespace = arguments.get("as")
            names[namespace if isinstance(namespace, str) else kind] = kind
            for element in arguments.get("import") or ():
                if isinstance(element, str) and element == f"@{kind}":
                    names[kind] = kind
                elif isinstance(element, dict) and element.get("name") == f"@{kind}":
                    names[str(element.get("as", f"@{kind}")).lstrip("@")] = kind
    return names


def _type_requirements(
    document: DocumentNode, names: Mapping[str, Kind]
) -> dict[str, frozenset[Requirement]]:
    found: dict[str, frozenset[Requirement]] = {}
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        directives = getattr(definition, "directives", None)
        if name is None or not directives:
            continue
        requirements = _requirements(directives, names)
        if requirements:
            found[name.value] = found.get(name.value, frozenset()) | requirements
    return found


def _field_requirements(
    document: DocumentNode, names: Mapping[str, Kind]
) -> dict[Coordinate, frozenset[Requirement]]:
    found: dict[Coordinate, frozenset[Requirement]] = {}
    for definition in document.definitions:
        name = getattr(definition, "name", None)
        if name is None:
            continue
        for field in getattr(definition, "fields", None) or ():
            requirements = _requirements(field.directives or (), names)
            if requirements:
                found[(name.value, field.name.value)] = requirements
    return found


def _requirements(
    directives: Iterable[DirectiveNode], names: Mapping[str, Kind]
) -> frozenset[Requirement]:
    found = set()
    for directive in directives:
        kind = names.get(directive.name.value)
        if kind is None:
            continue
        if kind == "authenticated":
            found.add(Requirement(kind))
            continue
        argument = "scopes" if kind == "requiresScopes" else "policies"
        value = _arguments(directive).get(argument) or ()
        alternatives = frozenset(frozenset(str(item) for item in group) for group in value)
        found.add(Requirement(kind, alternatives))
    return frozenset(found)


def _arguments(directive: DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}
