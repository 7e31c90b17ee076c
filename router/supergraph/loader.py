"""Reading a supergraph SDL (join spec v0.3 and later) into a `Supergraph`.

The join directives say which graph defines each type, key and field; the
`@link` directives say under which names the join and inaccessible specs were
imported. The API schema is the supergraph minus federation machinery and
minus every `@inaccessible` element.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    GraphQLError,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
)

from graphql_budget.directives import read_costs
from router.supergraph.api_schema import build_api_schema
from router.supergraph.fieldset import parse_selection_set
from router.supergraph.model import FieldMeta, FieldSource, Graph, Key, Supergraph, TypeMeta

SUPPORTED_JOIN = ("v0.3", "v0.4", "v0.5")


class SupergraphError(ValueError):
    """The SDL is not a supergraph this router can run."""


@dataclass(frozen=True)
class SpecNames:
    """Names under which the supergraph imported the specs it links."""

    join: str = "join"
    inaccessible: str = "inaccessible"
    tag: str = "tag"
    link: str = "link"


def load_supergraph(sdl: str) -> Supergraph:
    try:
        document = parse(sdl)
    except GraphQLError as error:
        raise SupergraphError(f"the supergraph does not parse: {error.message}") from error
    names = _spec_names(document)
    try:
        schema = build_ast_schema(document, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(f"the supergraph is not a valid schema: {error}") from error
    graphs = _graphs(document, names)
    types = _type_metas(document, names, graphs)
    costs = read_costs(document)
    return Supergraph(
        sdl=sdl,
        schema=schema,
        api_schema=build_api_schema(
            document, names.join, names.inaccessible, names.link, costs.names
        ),
        graphs=graphs,
        types=types,
        costs=costs,
    )


def _spec_names(document: DocumentNode) -> SpecNames:
    found: dict[str, str] = {}
    versions: dict[str, str] = {}
    for definition in document.definitions:
        for directive in getattr(definition, "directives", None) or ():
            if directive.name.value != "link" and directive.name.value != "core":
                continue
            args = _arguments(directive)
            url = args.get("url") or args.get("feature")
            if not isinstance(url, str):
                continue
            spec, version = _spec_of(url)
            default = spec
            found[spec] = str(args.get("as") or default)
            versions[spec] = version
    if "join" not in found:
        raise SupergraphError("no @link to the join spec: this is not a Federation v2 supergraph")
    if versions["join"] not in SUPPORTED_JOIN:
        raise SupergraphError(
            f"join spec {versions['join']} is not supported; use one of {', '.join(SUPPORTED_JOIN)}"
        )
    return SpecNames(
        join=found["join"],
        inaccessible=found.get("inaccessible", "inaccessible"),
        tag=found.get("tag", "tag"),
        link=found.get("link", "link"),
    )


def _spec_of(url: str) -> tuple[str, str]:
    parts = url.rstrip("/").split("/")
    return parts[-2], parts[-1]


def _graphs(document: DocumentNode, names: SpecNames) -> dict[str, Graph]:
    graph_enum = f"{names.join}__Graph"
    for definition in document.definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == graph_enum:
            graphs = {}
            for value in definition.values or ():
                found = _directives(value, f"{names.join}__graph")
                if not found:
                    raise SupergraphError(
                        f"{graph_enum}.{value.name.value} has no @{names.join}__graph"
                    )
                args = _arguments(found[0])
                graphs[value.name.value] = Graph(
                    value.name.value, str(args["name"]), str(args.get("url") or "")
                )
            return graphs
    raise SupergraphError(f"the supergraph defines no {graph_enum} enum")


def _type_metas(
    document: DocumentNode, names: SpecNames, graphs: dict[str, Graph]
) -> dict[str, TypeMeta]:
    join = names.join
    metas: dict[str, TypeMeta] = {}
    for definition in document.definitions:
        if not isinstance(definition, (TypeDefinitionNode, TypeExtensionNode)):
            continue
        name = definition.name.value
        if name.startswith(f"{join}__") or name.startswith(f"{names.link}__"):
            continue
        meta = metas.setdefault(name, TypeMeta(name))
        _read_type(meta, definition, join, graphs)
    return metas


def _read_type(meta: TypeMeta, definition: Any, join: str, graphs: dict[str, Graph]) -> None:
    type_graphs = list(meta.graphs)
    keys = list(meta.keys)
    interface_objects = set(meta.interface_object_in)
    for directive in _directives(definition, f"{join}__type"):
        args = _arguments(directive)
        graph = str(args["graph"])
        _check_graph(graph, graphs, meta.name)
        if graph not in type_graphs:
            type_graphs.append(graph)
        if args.get("key"):
            fields = str(args["key"])
            keys.append(
                Key(
                    graph, fields, _field_set(fields, meta.name), bool(args.get("resolvable", True))
                )
            )
        if args.get("isInterfaceObject"):
            interface_objects.add(graph)
    meta.graphs = tuple(type_graphs)
    meta.keys = tuple(keys)
    meta.interface_object_in = frozenset(interface_objects)

    implements: dict[str, set[str]] = defaultdict(
        set, {g: set(i) for g, i in meta.implements.items()}
    )
    for directive in _directives(definition, f"{join}__implements"):
        args = _arguments(directive)
        implements[str(args["graph"])].add(str(args["interface"]))
    meta.implements = {g: frozenset(i) for g, i in implements.items()}

    if isinstance(definition, UnionTypeDefinitionNode) or definition.kind == "union_type_extension":
        members: dict[str, set[str]] = defaultdict(set)
        for directive in _directives(definition, f"{join}__unionMember"):
            args = _arguments(directive)
            members[str(args["graph"])].add(str(args["member"]))
        meta.union_members = {g: frozenset(m) for g, m in members.items()}

    if isinstance(definition, EnumTypeDefinitionNode):
        values: dict[str, frozenset[str]] = {}
        for value in definition.values or ():
            value_graphs = [
                str(_arguments(d)["graph"]) for d in _directives(value, f"{join}__enumValue")
            ]
            values[value.name.value] = frozenset(value_graphs)
        meta.enum_values = values

    if isinstance(
        definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)
    ) or definition.kind in (
        "object_type_extension",
        "interface_type_extension",
    ):
        for field_node in definition.fields or ():
            field_meta = meta.fields.setdefault(
                field_node.name.value, FieldMeta(field_node.name.value)
            )
            directives = _directives(field_node, f"{join}__field")
            for directive in directives:
                source = _field_source(directive, meta.name)
                if source is not None:
                    field_meta.sources[source.graph] = source
            field_meta.from_interface_object = bool(directives) and not field_meta.sources


def _field_source(directive: DirectiveNode, type_name: str) -> FieldSource | None:
    args = _arguments(directive)
    graph = args.get("graph")
    if graph is None:
        # `@join__field` without a graph marks a field no subgraph resolves by
        # itself (e.g. added by @interfaceObject); it names no source.
        return None
    requires = args.get("requires")
    provides = args.get("provides")
    return FieldSource(
        graph=str(graph),
        requires=_field_set(str(requires), type_name) if requires else None,
        provides=_field_set(str(provides), type_name) if provides else None,
        external=bool(args.get("external", False)),
        type=str(args["type"]) if args.get("type") else None,
        override_from=str(args["override"]) if args.get("override") else None,
        override_label=str(args["overrideLabel"]) if args.get("overrideLabel") else None,
        used_overridden=bool(args.get("usedOverridden", False)),
    )


def _field_set(fields: str, type_name: str) -> SelectionSetNode:
    try:
        return parse_selection_set(f"{{ {fields} }}")
    except GraphQLError as error:
        raise SupergraphError(
            f"field set {fields!r} on {type_name} does not parse: {error.message}"
        ) from error


def _check_graph(graph: str, graphs: dict[str, Graph], type_name: str) -> None:
    if graph not in graphs:
        raise SupergraphError(f"{type_name} names unknown graph {graph}")


def _directives(node: Any, name: str) -> list[DirectiveNode]:
    return [d for d in getattr(node, "directives", None) or () if d.name.value == name]


def _arguments(directive: DirectiveNode) -> dict[str, object]:
    return {argument.name.value: _value(argument) for argument in directive.arguments or ()}


def _value(argument: ArgumentNode) -> object:
    value = argument.value
    if isinstance(value, (StringValueNode, EnumValueNode)):
        return value.value
    if isinstance(value, BooleanValueNode):
        return value.value
    if isinstance(value, ListValueNode):
        return [getattr(item, "value", None) for item in value.values]
    return getattr(value, "value", None)
