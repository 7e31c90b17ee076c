"""Data-driven Federation v2 test subgraphs, executable with graphql-core.

A `SubgraphSpec` is a subgraph SDL plus data: root field values under the
root type names (`"Query"`, `"Mutation"`) and entity tables under every other
type name. Objects found in the data are completed from the table of their
type through any key (so root data may name an entity by its key alone);
`_entities` finds rows through the type's resolvable keys and merges the
representation in, so `@requires` fields arrive where the resolvers see them.
`serve_subgraphs` in `tests.router.harness.server` puts specs on the network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationType,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    Visitor,
    build_ast_schema,
    get_named_type,
    get_nullable_type,
    graphql,
    is_list_type,
    parse,
    visit,
)
from graphql.language.visitor import REMOVE

from tests.router.harness.entities import EntityStore, KeyFields, deep_merge, parse_field_set

Resolver = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]
Info = GraphQLResolveInfo[Any]

FEDERATION_SPEC = "https://specs.apollo.dev/federation"
DEFAULT_IMPORTS = (
    "@key",
    "@shareable",
    "@external",
    "@requires",
    "@provides",
    "@override",
    "@inaccessible",
    "@interfaceObject",
    "@tag",
)
ROOT_TYPES = ("Query", "Mutation", "Subscription")
_LOOKED_UP = ("key",)  # the federation directives the harness itself reads


def federation_sdl(body: str, *, version: str = "v2.5", imports: Sequence[str] = ()) -> str:
    """`body` as a Federation v2 subgraph SDL, linking the spec and importing directives."""
    names = ", ".join(f'"{name}"' for name in (imports or DEFAULT_IMPORTS))
    link = f'extend schema @link(url: "{FEDERATION_SPEC}/{version}", import: [{names}])'
    return f"{link}\n{body.strip()}\n"


@dataclass(frozen=True)
class SubgraphSpec:
    name: str
    sdl: str
    data: Mapping[str, Any] = field(default_factory=dict)
    # "Type.field" -> resolver(obj, args), for computed fields and arguments.
    resolvers: Mapping[str, Resolver] | None = None
    # Served at an address where nothing listens: every fetch fails to connect.
    down: bool = False


class _Root:
    """The root value: root fields read `data[<root type name>]`."""


ROOT = _Root()


class Subgraph:
    """One spec made executable: its schema, entity store and resolvers."""

    def __init__(self, spec: SubgraphSpec) -> None:
        self.spec = spec
        document = parse(spec.sdl)
        keys = _keys(document, _local_names(document))
        self._root_data: Mapping[str, Mapping[str, Any]] = {
            name: value for name, value in spec.data.items() if name in ROOT_TYPES
        }
        tables = {name: value for name, value in spec.data.items() if name not in ROOT_TYPES}
        self.store = EntityStore(tables, keys)
        self.schema = build_ast_schema(_executable_document(document, keys))
        self._attach_resolvers(spec.resolvers or {})

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        result = await graphql(
            self.schema,
            query,
            root_value=ROOT,
            variable_values=dict(variables or {}),
            operation_name=operation_name,
            field_resolver=self._resolve_field,
            type_resolver=self._resolve_type,
        )
        return dict(result.formatted)

    def _attach_resolvers(self, resolvers: Mapping[str, Resolver]) -> None:
        query = self.schema.query_type
        assert query is not None
        query.fields["_service"].resolve = lambda _source, _info: {"sdl": self.spec.sdl}
        if "_entities" in query.fields:
            query.fields["_entities"].resolve = self._resolve_entities
        for coordinate, resolver in resolvers.items():
            type_name, _, field_name = coordinate.partition(".")
            owner = self.schema.get_type(type_name)
            if not isinstance(owner, GraphQLObjectType) or field_name not in owner.fields:
                raise ValueError(f"{self.spec.name}: no field {coordinate} for a resolver")
            owner.fields[field_name].resolve = self._wrap(resolver)

    def _wrap(self, resolver: Resolver) -> Callable[..., Any]:
        def resolve(source: Any, info: Info, **args: Any) -> Any:
            return resolver(self._complete(source, info), args)

        return resolve

    def _complete(self, source: Any, info: Info) -> Mapping[str, Any]:
        """The object a resolver sees: root data, or the object over its table row."""
        if source is ROOT:
            return self._root_data.get(info.parent_type.name, {})
        if not isinstance(source, Mapping):
            return {}
        row = self.store.find(info.parent_type.name, source)
        return deep_merge(row, source) if row is not None else source

    def _resolve_field(self, source: Any, info: Info, **args: Any) -> Any:
        name = info.field_name
        if source is ROOT:
            values = self._root_data.get(info.parent_type.name, {})
            if name in values:
                return values[name]
            return self._find_by_arguments(info, args)
        if not isinstance(source, Mapping):
            return None
        if name in source:
            return source[name]
        row = self.store.find(info.parent_type.name, source)
        return row.get(name) if row is not None else None

    def _find_by_arguments(self, info: Info, args: Mapping[str, Any]) -> Any:
        """`product(id: "1")` with no root data: the row of the return type with that key."""
        if is_list_type(get_nullable_type(info.return_type)):
            return None
        type_name = get_named_type(info.return_type).name
        candidates = [type_name]
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLInterfaceType):
            candidates = [t.name for t in self.schema.get_possible_types(named)]
        for candidate in candidates:
            row = self.store.find_by_arguments(candidate, args)
            if row is not None:
                return {"__typename": candidate, **row}
        return None

    def _resolve_type(self, value: Any, info: Info, abstract_type: GraphQLAbstractType) -> str:
        if isinstance(value, Mapping):
            typename = value.get("__typename")
            if isinstance(typename, str):
                return typename
            for possible in self.schema.get_possible_types(abstract_type):
                if self.store.find(possible.name, value) is not None:
                    return possible.name
        raise TypeError(
            f"{self.spec.name}: give {abstract_type.name} values a __typename: {value!r}"
        )

    def _resolve_entities(
        self, _source: Any, _info: Info, representations: list[Any]
    ) -> list[dict[str, Any] | None]:
        return [self._entity(representation) for representation in representations]

    def _entity(self, representation: Any) -> dict[str, Any] | None:
        if not isinstance(representation, Mapping) or "__typename" not in representation:
            raise GraphQLError(f"representation without __typename: {representation!r}")
        typename = str(representation["__typename"])
        named = self.schema.get_type(typename)
        if isinstance(named, GraphQLInterfaceType):
            candidates = [t.name for t in self.schema.get_possible_types(named)]
        elif isinstance(named, GraphQLObjectType):
            candidates = [typename]
        else:
            raise GraphQLError(f"{self.spec.name} has no entity type {typename}")
        if not any(self.store.names_resolvable_key(c, representation) for c in candidates):
            raise GraphQLError(
                f"{self.spec.name}: the representation {dict(representation)!r} names no "
                f"resolvable key of {typename}"
            )
        for candidate in candidates:
            row = self.store.find(candidate, representation, resolvable_only=True)
            if row is not None:
                return {**deep_merge(row, representation), "__typename": candidate}
        return None


def _local_names(document: DocumentNode) -> dict[str, str]:
    """Local directive name -> federation directive name, from the `@link` imports."""
    names = {f"federation__{n}": n for n in _LOOKED_UP}
    linked = False
    for definition in document.definitions:
        if not isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        for directive in definition.directives or ():
            url = _argument(directive, "url")
            if directive.name.value != "link" or not url or FEDERATION_SPEC not in url:
                continue
            linked = True
            arguments = directive.arguments or ()
            imports = next((a.value for a in arguments if a.name.value == "import"), None)
            for item in getattr(imports, "values", ()):
                if isinstance(item, StringValueNode):
                    names[item.value.lstrip("@")] = item.value.lstrip("@")
                else:
                    fields = {f.name.value: getattr(f.value, "value", "") for f in item.fields}
                    original = fields["name"].lstrip("@")
                    names[fields.get("as", original).lstrip("@")] = original
    if not linked:  # Federation 1: the directives go by their bare names.
        names.update({n: n for n in _LOOKED_UP})
    return names


def _argument(directive: DirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None


def _keys(document: DocumentNode, local_names: Mapping[str, str]) -> list[KeyFields]:
    keys: list[KeyFields] = []
    for definition in document.definitions:
        if not isinstance(definition, _COMPOSITE_NODES):
            continue
        for directive in definition.directives or ():
            if local_names.get(directive.name.value) != "key":
                continue
            fields = _argument(directive, "fields") or ""
            resolvable = not any(
                a.name.value == "resolvable" and getattr(a.value, "value", True) is False
                for a in directive.arguments or ()
            )
            keys.append(
                KeyFields(definition.name.value, fields, parse_field_set(fields), resolvable)
            )
    return keys


_COMPOSITE_NODES = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


class _StripFederation(Visitor):
    """Drops the `@link` schema extension and every directive the SDL does not define."""

    def __init__(self, defined: set[str]) -> None:
        super().__init__()
        self.defined = defined

    def enter_schema_extension(self, *_: Any) -> Any:
        return REMOVE

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return None if node.name.value in self.defined else REMOVE


def _executable_document(document: DocumentNode, keys: Sequence[KeyFields]) -> DocumentNode:
    defined = {d.name.value for d in document.definitions if isinstance(d, DirectiveDefinitionNode)}
    stripped: DocumentNode = visit(document, _StripFederation(defined))
    definitions = list(_as_definitions(stripped))
    query_name = "Query"
    for definition in definitions:
        if isinstance(definition, SchemaDefinitionNode):
            for operation_type in definition.operation_types:
                if operation_type.operation == OperationType.QUERY:
                    query_name = operation_type.type.name.value
    object_names = {d.name.value for d in definitions if isinstance(d, (ObjectTypeDefinitionNode,))}
    entities = sorted({key.type_name for key in keys if key.type_name in object_names})
    fields = ["_service: _Service!"]
    additions = ["scalar _Any", "type _Service { sdl: String }"]
    if entities:
        additions.append(f"union _Entity = {' | '.join(entities)}")
        fields.append("_entities(representations: [_Any!]!): [_Entity]!")
    extend = "extend type" if query_name in object_names else "type"
    additions.append(f"{extend} {query_name} {{ {' '.join(fields)} }}")
    return DocumentNode(definitions=(*definitions, *parse("\n".join(additions)).definitions))


def _as_definitions(document: DocumentNode) -> list[Any]:
    """Federation 1 style `extend type X` with no `type X` becomes the definition of X."""
    defined = {d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)}
    definitions: list[Any] = []
    for definition in document.definitions:
        name = getattr(getattr(definition, "name", None), "value", None)
        if isinstance(definition, ObjectTypeExtensionNode) and name not in defined:
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
            defined.add(definition.name.value)
        elif isinstance(definition, InterfaceTypeExtensionNode) and name not in defined:
            definition = InterfaceTypeDefinitionNode(
                name=definition.name,
                interfaces=definition.interfaces,
                directives=definition.directives,
                fields=definition.fields,
            )
            defined.add(definition.name.value)
        definitions.append(definition)
    return definitions
