"""What a supergraph says about who owns what, as plain data two supergraphs can be compared by.

Built from `router.supergraph.load_supergraph`, so it is what our router will
plan with: graphs, keys, interface objects, implementations, union members and
enum values per type, and for each field the graphs that resolve it with
their `@requires`/`@provides`/`@override`.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema, SelectionSetNode, print_ast, print_schema
from graphql.utilities import lexicographic_sort_schema

from router.supergraph import Supergraph


def api_schema_text(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema))


def ownership(supergraph: Supergraph) -> dict[str, Any]:
    names = {graph.id: graph.name for graph in supergraph.graphs.values()}
    types: dict[str, Any] = {}
    for type_name, meta in sorted(supergraph.types.items()):
        fields: dict[str, Any] = {}
        for field_name, field in sorted(meta.fields.items()):
            sources = supergraph.field_sources(type_name, field_name)
            fields[field_name] = {
                "from_interface_object": field.from_interface_object,
                "sources": {
                    names[graph]: (
                        _printed(source.requires),
                        _printed(source.provides),
                        source.override_from,
                        source.override_label,
                    )
                    for graph, source in sorted(sources.items())
                },
            }
        types[type_name] = {
            "graphs": sorted(names[g] for g in meta.graphs),
            "keys": sorted(
                (names[k.graph], print_ast(k.selection_set), k.resolvable) for k in meta.keys
            ),
            "interface_object_in": sorted(names[g] for g in meta.interface_object_in),
            "implements": {names[g]: sorted(i) for g, i in sorted(meta.implements.items())},
            "union_members": {names[g]: sorted(m) for g, m in sorted(meta.union_members.items())},
            "enum_values": {v: sorted(names[g] for g in gs) for v, gs in meta.enum_values.items()},
            "fields": fields,
        }
    return {"graphs": sorted((g.name, g.url) for g in supergraph.graphs.values()), "types": types}


def _printed(selection_set: SelectionSetNode | None) -> str | None:
    return print_ast(selection_set) if selection_set is not None else None
