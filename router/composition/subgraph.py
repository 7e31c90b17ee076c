"""Loading one subgraph: parse, resolve its federation link, strip machinery, validate.

The SDL a subgraph prints from `_service { sdl }` carries federation machinery
(`_entities`, `_service`, `_Any`, `_Entity`, `_Service`, field set scalars,
maybe the federation directive definitions). That is stripped, custom root
type names become `Query`/`Mutation`/`Subscription`, and what remains must be
valid GraphQL once the federation directives are defined under the subgraph's
local names. The result is read into the model by `typedefs.read_types`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    Source,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    Visitor,
    build_ast_schema,
    parse,
    validate_schema,
    visit,
)
from graphql.validation.validate import validate_sdl

from router.composition.directives import check_spec_definition, read_composed
from router.composition.errors import Code, Errors
from router.composition.links import Names, resolve_links
from router.composition.model import Subgraph
from router.composition.specs import (
    DIRECTIVES,
    MACHINERY_QUERY_FIELDS,
    MACHINERY_TYPES,
    SCALARS,
)
from router.composition.typedefs import read_types

_ROOTS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
_ROOT_USED = {
    "query": Code.ROOT_QUERY_USED,
    "mutation": Code.ROOT_MUTATION_USED,
    "subscription": Code.ROOT_SUBSCRIPTION_USED,
}
_BASES: dict[type[TypeExtensionNode], type[TypeDefinitionNode]] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}
# graphql-core insists on a query root; a federation subgraph may define only entities.
_NO_QUERY_ROOT = "Query root type must be provided."


def load_subgraph(name: str, url: str, sdl: str, graph_id: str, errors: Errors) -> Subgraph | None:
    """The subgraph's model, or None after adding to `errors` why it cannot be read."""
    try:
        document = parse(sdl)
    except GraphQLError as error:
        errors.add(Code.INVALID_GRAPHQL, f"[{name}] {error.message}", (name,), at=_at(error))
        return None
    before = len(errors)
    names = resolve_links(document, name, errors)
    if names is None:
        if len(errors) == before:
            errors.add(
                Code.UNSUPPORTED_FEDERATION_VERSION,
                f'[{name}] the subgraph does not @link "https://specs.apollo.dev/federation/v2.x":'
                " Federation 1 subgraphs are not supported, add the federation v2 @link",
                (name,),
            )
        return None
    roots = _root_names(document)
    stripped = _strip(document, names, errors)
    renamed = _rename_roots(stripped, roots, name, errors)
    if renamed is None or len(errors) > before:
        return None
    if not _valid_graphql(renamed, names, errors, document.loc.source if document.loc else None):
        return None
    subgraph = Subgraph(name, url, graph_id, names.version)
    subgraph.composed = read_composed(document, renamed, names, errors)
    read_types(renamed, names, subgraph, errors)
    return subgraph


def _root_names(document: DocumentNode) -> dict[str, str]:
    roots: dict[str, str] = {}
    for definition in document.definitions:
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            for operation in definition.operation_types or ():
                roots[operation.operation.value] = operation.type.name.value
    return roots


def _strip(document: DocumentNode, names: Names, errors: Errors) -> DocumentNode:
    kept: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        if isinstance(definition, DirectiveDefinitionNode):
            local = definition.name.value
            canonical = names.canonical(local)
            if canonical is not None:
                check_spec_definition(definition, canonical, names, errors)
            elif local != names.link_directive:
                kept.append(definition)
            continue
        if isinstance(definition, (TypeDefinitionNode, TypeExtensionNode)):
            type_name = definition.name.value
            if (
                type_name in MACHINERY_TYPES
                or names.is_machinery_type(type_name)
                or type_name.startswith("link__")
            ):
                continue
            if isinstance(definition, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)):
                fields = tuple(
                    f for f in definition.fields or () if f.name.value not in MACHINERY_QUERY_FIELDS
                )
                if definition.fields and not fields:
                    continue
                definition = replace(definition, fields=fields)
        kept.append(definition)
    return DocumentNode(definitions=tuple(kept))


class _Renamer(Visitor):
    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def enter(self, node: Any, *_args: Any) -> Any:
        if isinstance(node, (NamedTypeNode, TypeDefinitionNode, TypeExtensionNode)):
            new = self.renames.get(node.name.value)
            if new is not None:
                return replace(node, name=NameNode(value=new))
        return None


def _rename_roots(
    document: DocumentNode, roots: dict[str, str], subgraph: str, errors: Errors
) -> DocumentNode | None:
    defined = {
        d.name.value
        for d in document.definitions
        if isinstance(d, (TypeDefinitionNode, TypeExtensionNode))
    }
    renames: dict[str, str] = {}
    for operation, type_name in roots.items():
        default = _ROOTS[operation]
        if type_name == default:
            continue
        if default in defined:
            errors.add(
                _ROOT_USED[operation],
                f'[{subgraph}] The schema has a type named "{default}" but it is not set as the'
                f' {operation} root type ("{type_name}" is instead): this is not supported by'
                " federation",
                (subgraph,),
                default,
            )
            return None
        renames[type_name] = default
    if not renames:
        return document
    renamed: DocumentNode = visit(document, _Renamer(renames))
    return renamed


def _valid_graphql(
    document: DocumentNode, names: Names, errors: Errors, source: Source | None
) -> bool:
    full = DocumentNode(definitions=(*_as_definitions(document), *_spec_definitions(names)))
    problems = validate_sdl(full)
    if not problems:
        try:
            schema = build_ast_schema(full, assume_valid_sdl=True)
        except (GraphQLError, TypeError) as error:
            problems = [GraphQLError(str(error))]
        else:
            problems = [p for p in validate_schema(schema) if p.message != _NO_QUERY_ROOT]
    for problem in problems:
        # Problems in the spec definitions added above have no place in the subgraph's SDL.
        at = _at(problem) if source is not None and problem.source is source else None
        errors.add(
            Code.INVALID_GRAPHQL, f"[{names.subgraph}] {problem.message}", (names.subgraph,), at=at
        )
    return not problems


def _at(error: GraphQLError) -> tuple[int, int] | None:
    """The first (line, column) graphql-core gives for an error, if any."""
    if not error.locations:
        return None
    return error.locations[0].line, error.locations[0].column


def _as_definitions(document: DocumentNode) -> list[DefinitionNode]:
    """Federation lets a subgraph extend a type it never defines: make the first one a base."""
    defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    result: list[DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, TypeExtensionNode) and definition.name.value not in defined:
            defined.add(definition.name.value)
            result.append(_definition_of(definition))
        else:
            result.append(definition)
    return result


def _definition_of(extension: TypeExtensionNode) -> DefinitionNode:
    base = _BASES[type(extension)]
    fields = {k: getattr(extension, k) for k in extension.keys if k in base.keys and k != "loc"}
    return base(**fields)


def _spec_definitions(names: Names) -> list[DefinitionNode]:
    scalars = {f"federation__{s}" for s, since in SCALARS.items() if since <= names.version}
    scalars |= set(names.types)
    lines = [f"scalar {scalar}" for scalar in sorted(scalars)]
    for local, canonical in names.directives.items():
        lines.append(
            DIRECTIVES[canonical].definition.format(
                self=local,
                FieldSet=names.local_type("FieldSet"),
                Scope=names.local_type("Scope"),
                Policy=names.local_type("Policy"),
                ContextFieldValue=names.local_type("ContextFieldValue"),
            )
        )
    return list(parse("\n".join(lines), no_location=True).definitions)
