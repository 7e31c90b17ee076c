"""Merging validated subgraphs into one supergraph model.

Types of one name must be of one kind in every subgraph (an `@interfaceObject`
counts as its interface). Objects and interfaces merge field by field
(`fields.merge_field`); other kinds in `values`. Afterwards the interface
rules that need the whole supergraph run: `@interfaceObject` fields are given
to every implementation, entity interfaces must see all their implementations,
and every implementation must have its interfaces' fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.composition.errors import Code, Errors
from router.composition.fields import FieldUse, merge_field
from router.composition.fieldset import walk
from router.composition.merged import Merged, MergedField, MergedType, TypeInGraph
from router.composition.meta import merge_meta
from router.composition.model import Kind, Meta, Subgraph, TypeDef
from router.composition.typeref import IsSubtype
from router.composition.values import (
    enum_usage,
    merge_enum,
    merge_input_object,
    merge_scalar,
    merge_union,
)

Defs = list[tuple[Subgraph, TypeDef]]
_KIND_NAMES = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}


def merge(subgraphs: Sequence[Subgraph], errors: Errors) -> Merged:
    merged = Merged(list(subgraphs))
    groups: dict[str, Defs] = {}
    for subgraph in subgraphs:
        for typedef in subgraph.types.values():
            groups.setdefault(typedef.name, []).append((subgraph, typedef))
    _collect_composed(subgraphs, merged, errors)
    supertypes = _supertypes(subgraphs)
    use = _field_use(subgraphs)
    usage = enum_usage(subgraphs)

    def is_subtype(sub: str, sup: str) -> bool:
        return sup in supertypes.get(sub, set())

    for name, defs in groups.items():
        kind = _kind(name, defs, errors)
        result: MergedType | None
        if kind in ("object", "interface"):
            # Every subgraph has a query root, if only for `_entities` and `_service`.
            result = _merge_composite(name, kind, defs, use, is_subtype, errors)
            if name == "Query":
                result.graphs = {
                    sg.name: result.graphs.get(sg.name, TypeInGraph(sg.name)) for sg in subgraphs
                }
        elif kind == "union":
            result = merge_union(name, defs)
        elif kind == "enum":
            result = merge_enum(name, defs, usage.get(name, (False, True)), errors)
        elif kind == "input":
            result = merge_input_object(name, defs, errors)
        elif kind == "scalar":
            result = merge_scalar(name, defs)
        else:
            result = None
        if result is not None:
            merged.types[name] = result
    _interface_objects(merged, errors)
    _entity_interfaces(merged, errors)
    _interface_fields(merged, errors)
    if not any(sg.field("Query", f) for sg in subgraphs for f in _query_fields(sg)):
        errors.add(
            Code.NO_QUERIES,
            "No queries found in any subgraph: a supergraph must have a query root type.",
        )
    return merged


def _collect_composed(subgraphs: Sequence[Subgraph], merged: Merged, errors: Errors) -> None:
    """One supergraph name per composed directive: subgraphs must import it alike."""
    names: dict[tuple[str, str], dict[str, list[str]]] = {}
    for subgraph in subgraphs:
        for name, composed in subgraph.composed.items():
            merged.composed.setdefault(name, composed)
            spec = (composed.link_identity, composed.element)
            names.setdefault(spec, {}).setdefault(name, []).append(subgraph.name)
    for (identity, element), by_name in names.items():
        if len(by_name) > 1:
            detail = ", ".join(f'"@{n}" in {", ".join(map(repr, g))}' for n, g in by_name.items())
            errors.add(
                Code.LINK_IMPORT_NAME_MISMATCH,
                f'The "@{element}" directive (from {identity}) is imported with mismatched'
                f" names between subgraphs: it is imported as {detail}",
                sorted(g for graphs in by_name.values() for g in graphs),
                f"@{element}",
            )


def _query_fields(subgraph: Subgraph) -> list[str]:
    query = subgraph.types.get("Query")
    return list(query.fields) if query is not None else []


def _kind(name: str, defs: Defs, errors: Errors) -> Kind | None:
    kinds: dict[Kind, list[str]] = {}
    for subgraph, typedef in defs:
        kind: Kind = "interface" if typedef.interface_object else typedef.kind
        kinds.setdefault(kind, []).append(subgraph.name)
    if len(kinds) == 1:
        return next(iter(kinds))
    detail = " but ".join(
        f"{_KIND_NAMES[k]} in subgraph{'s' if len(g) > 1 else ''} {', '.join(map(repr, g))}"
        for k, g in kinds.items()
    )
    errors.add(
        Code.TYPE_KIND_MISMATCH,
        f'Type "{name}" has mismatched kind: it is defined as {detail}',
        sorted(sg.name for sg, _ in defs),
        name,
    )
    return None


def _merge_composite(
    name: str, kind: Kind, defs: Defs, use: FieldUse, is_subtype: IsSubtype, errors: Errors
) -> MergedType:
    merged = MergedType(name, kind, merge_meta(d.meta for _, d in defs))
    for subgraph, typedef in defs:
        merged.graphs[subgraph.name] = TypeInGraph(
            subgraph.name, list(typedef.keys), typedef.interface_object
        )

        if typedef.interfaces:
            merged.implements[subgraph.name] = list(typedef.interfaces)
    # Plain interface declarations resolve nothing: their implementations do.
    resolving = {sg.name for sg, d in defs if kind == "object" or d.interface_object}
    order: list[str] = []
    for _, typedef in defs:
        order.extend(f for f in typedef.fields if f not in order)
    for field_name in order:
        declarations = [(sg, d, d.fields[field_name]) for sg, d in defs if field_name in d.fields]
        field = merge_field(name, declarations, resolving, use, is_subtype, errors)
        if field is not None:
            merged.fields[field_name] = field
    return merged


def _supertypes(subgraphs: Sequence[Subgraph]) -> dict[str, set[str]]:
    """Every interface and union each type belongs to, in any subgraph (transitively)."""
    direct: dict[str, set[str]] = {}
    for subgraph in subgraphs:
        for typedef in subgraph.types.values():
            direct.setdefault(typedef.name, set()).update(typedef.interfaces)
            for member in typedef.members:
                direct.setdefault(member, set()).add(typedef.name)
    closed: dict[str, set[str]] = {}
    for name in direct:
        seen: set[str] = set()
        stack = list(direct[name])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(direct.get(current, ()))
        closed[name] = seen
    return closed


def _field_use(subgraphs: Sequence[Subgraph]) -> FieldUse:
    use = FieldUse()
    for subgraph in subgraphs:
        keys = use.keys.setdefault(subgraph.name, set())
        requires = use.requires.setdefault(subgraph.name, set())
        for typedef in subgraph.types.values():
            for key in typedef.keys:
                for selected in walk(key.fields, typedef.name, subgraph).selected:
                    keys.add((selected.parent.name, selected.field.name))
            for field in typedef.fields.values():
                if field.requires is not None:
                    for selected in walk(field.requires, typedef.name, subgraph).selected:
                        requires.add((selected.parent.name, selected.field.name))
    return use


def _interface_objects(merged: Merged, errors: Errors) -> None:
    for interface in list(merged.types.values()):
        objects = [g for g in interface.graphs.values() if g.interface_object]
        if not objects:
            continue
        if all(g.interface_object for g in interface.graphs.values()):
            errors.add(
                Code.INTERFACE_OBJECT_USAGE_ERROR,
                f'Type "{interface.name}" is declared with @interfaceObject in all the subgraphs'
                " in which is is defined",
                sorted(interface.graphs),
                interface.name,
            )
            continue
        implementations = merged.implementations(interface.name)
        for graph in objects:
            defined = [t.name for t in implementations if graph.graph in t.graphs]
            if defined:
                errors.add(
                    Code.INTERFACE_OBJECT_USAGE_ERROR,
                    f'Interface type "{interface.name}" is defined as an @interfaceObject in'
                    f' subgraph "{graph.graph}" so that subgraph should not define any of the'
                    f' implementation types of "{interface.name}", but it defines'
                    f" {', '.join(repr(n) for n in defined)}",
                    (graph.graph,),
                    interface.name,
                )
        io_graphs = {g.graph for g in objects}
        for field in interface.fields.values():
            if not io_graphs & set(field.sources):
                continue
            for implementation in implementations:
                if field.name not in implementation.fields:
                    implementation.fields[field.name] = MergedField(
                        field.name, field.type, dict(field.args), Meta(), {}, True
                    )


def _entity_interfaces(merged: Merged, errors: Errors) -> None:
    for interface in merged.types.values():
        if interface.kind != "interface":
            continue
        implementations = [t for t in merged.implementations(interface.name) if t.kind == "object"]
        for graph in interface.graphs.values():
            if graph.interface_object or not any(k.resolvable for k in graph.keys):
                continue
            missing = [
                t.name
                for t in implementations
                if interface.name not in t.implements.get(graph.graph, [])
            ]
            if missing:
                errors.add(
                    Code.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE,
                    f'[{graph.graph}] Interface type "{interface.name}" has a resolvable key in'
                    f' subgraph "{graph.graph}" but that subgraph is missing some of the'
                    f' supergraph implementation types of "{interface.name}":'
                    f" {', '.join(repr(n) for n in missing)}",
                    (graph.graph,),
                    interface.name,
                )


def _interface_fields(merged: Merged, errors: Errors) -> None:
    for typedef in merged.types.values():
        if typedef.kind not in ("object", "interface"):
            continue
        for interface_name in typedef.interfaces:
            interface = merged.types.get(interface_name)
            if interface is None:
                continue
            for field_name in interface.fields:
                if field_name not in typedef.fields:
                    errors.add(
                        Code.INTERFACE_FIELD_NO_IMPLEM,
                        f'Interface field "{interface_name}.{field_name}" is declared in'
                        f" {', '.join(repr(g) for g in interface.fields[field_name].sources)}"
                        f' but type "{typedef.name}", which implements "{interface_name}" in'
                        f' the supergraph, does not have field "{field_name}".',
                        sorted(typedef.graphs),
                        f"{typedef.name}.{field_name}",
                    )
