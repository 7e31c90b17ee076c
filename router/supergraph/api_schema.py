"""The API schema: the supergraph as clients see it.

Federation machinery (join, link and spec directives and types, the cost
spec's directives under their names in this supergraph) goes, and so
does every element marked `@inaccessible`: types, fields, arguments, enum
values, input fields, union members and implemented interfaces of hidden types.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLSchema,
    NamedTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    build_ast_schema,
)

# Directives of the federation specs themselves; they never reach clients.
SPEC_DIRECTIVES = frozenset(
    {"link", "core", "inaccessible", "tag", "authenticated", "requiresScopes", "policy"}
)


def build_api_schema(
    document: DocumentNode,
    join: str,
    inaccessible: str,
    link: str,
    hidden_directives: frozenset[str] = frozenset(),
) -> GraphQLSchema:
    hidden_types = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, (TypeDefinitionNode, TypeExtensionNode))
        and (_is_machinery(definition.name.value, join, link) or _hidden(definition, inaccessible))
    }
    spec_directives = SPEC_DIRECTIVES | hidden_directives | {inaccessible, link}

    def keep_directive(node: Any) -> bool:
        name: str = node.name.value
        return not (name.startswith(f"{join}__") or name in spec_directives)

    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            if keep_directive(definition):
                definitions.append(definition)
            continue
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            definitions.append(replace(definition, directives=()))
            continue
        if isinstance(definition, (TypeDefinitionNode, TypeExtensionNode)):
            if definition.name.value in hidden_types:
                continue
            definitions.append(_strip(definition, inaccessible, hidden_types, keep_directive))
            continue
        definitions.append(definition)
    return build_ast_schema(DocumentNode(definitions=tuple(definitions)), assume_valid_sdl=True)


# Scalars the authorization specs define for their directive arguments.
SPEC_TYPE_PREFIXES = ("requiresScopes__", "policy__", "federation__")


def _is_machinery(name: str, join: str, link: str) -> bool:
    return name.startswith((f"{join}__", f"{link}__", *SPEC_TYPE_PREFIXES))


def _hidden(node: Any, inaccessible: str) -> bool:
    return any(d.name.value == inaccessible for d in getattr(node, "directives", None) or ())


def _named(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]  # a list or non-null wrapper
    return type_node.name.value


def _strip(definition: Any, inaccessible: str, hidden_types: set[str], keep_directive: Any) -> Any:
    changes: dict[str, Any] = {
        "directives": tuple(d for d in definition.directives or () if keep_directive(d))
    }
    if getattr(definition, "fields", None) is not None:
        changes["fields"] = tuple(
            _strip_field(f, inaccessible, hidden_types, keep_directive)
            for f in definition.fields
            if not _hidden(f, inaccessible) and _named(f.type) not in hidden_types
        )
    if getattr(definition, "interfaces", None) is not None:
        changes["interfaces"] = tuple(
            i for i in definition.interfaces if i.name.value not in hidden_types
        )
    if getattr(definition, "types", None) is not None:
        changes["types"] = tuple(t for t in definition.types if t.name.value not in hidden_types)
    if getattr(definition, "values", None) is not None:
        changes["values"] = tuple(
            replace(v, directives=tuple(d for d in v.directives or () if keep_directive(d)))
            for v in definition.values
            if not _hidden(v, inaccessible)
        )
    return replace(definition, **changes)


def _strip_field(field: Any, inaccessible: str, hidden_types: set[str], keep_directive: Any) -> Any:
    changes: dict[str, Any] = {
        "directives": tuple(d for d in field.directives or () if keep_directive(d))
    }
    if getattr(field, "arguments", None) is not None:
        changes["arguments"] = tuple(
            replace(a, directives=tuple(d for d in a.directives or () if keep_directive(d)))
            for a in field.arguments
            if not _hidden(a, inaccessible) and _named(a.type) not in hidden_types
        )
    return replace(field, **changes)
