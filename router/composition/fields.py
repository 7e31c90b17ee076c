"""Merging one field of an object or interface type across the subgraphs declaring it.

Decides who resolves the field: `@external` declarations do not, and
`@override(from:)` takes the field away from the source subgraph (which keeps a
`usedOverridden` declaration when its own keys or `@requires` still use the
field, or an `overrideLabel` one for progressive override). A field resolved by
several subgraphs must be shareable in each (key fields are implicitly); an
`@external` field needs a resolving declaration somewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from graphql import print_ast

from router.composition.errors import Code, Errors
from router.composition.merged import FieldSource, MergedField
from router.composition.meta import merge_meta
from router.composition.model import Field, Subgraph, TypeDef
from router.composition.typeref import IsSubtype, merge_output
from router.composition.values import ARGUMENT, merge_inputs

Declaration = tuple[Subgraph, TypeDef, Field]


@dataclass
class FieldUse:
    """Per subgraph, the (type, field) pairs its keys and @requires select."""

    keys: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    requires: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def merge_field(
    type_name: str,
    declarations: Sequence[Declaration],
    resolving_graphs: set[str],
    use: FieldUse,
    is_subtype: IsSubtype,
    errors: Errors,
) -> MergedField | None:
    """`resolving_graphs`: graphs where the parent type's fields are resolved (not plain
    interface declarations)."""
    name = declarations[0][2].name
    coordinate = f"{type_name}.{name}"
    sources: dict[str, FieldSource] = {}
    for subgraph, typedef, declared in declarations:
        sources[subgraph.name] = FieldSource(
            subgraph.name,
            declared.type,
            external=declared.external and not typedef.is_fake_external(name),
            requires=declared.requires,
            provides=declared.provides,
            override=declared.override_from,
            override_label=declared.override_label,
            shareable=declared.shareable or (type_name, name) in use.keys.get(subgraph.name, set()),
        )
    resolving = [d for d in declarations if not sources[d[0].name].external] or list(declarations)
    merged_type = resolving[0][2].type
    for _, _, declared in resolving[1:]:
        combined = merge_output(merged_type, declared.type, is_subtype)
        if combined is None:
            _type_mismatch(Code.FIELD_TYPE_MISMATCH, coordinate, declarations, errors)
            return None
        merged_type = combined
    for subgraph, _, declared in declarations:
        if (
            sources[subgraph.name].external
            and merge_output(merged_type, declared.type, is_subtype) is None
        ):
            _type_mismatch(Code.EXTERNAL_TYPE_MISMATCH, coordinate, declarations, errors)
            return None
    args = merge_inputs(coordinate, [(sg.name, d.args) for sg, _, d in resolving], ARGUMENT, errors)
    meta = merge_meta(d.meta for _, _, d in resolving)
    meta.inaccessible = any(d.meta.inaccessible for _, _, d in declarations)
    merged = MergedField(name, merged_type, args, meta, sources)
    before = len(errors)
    label_overridden = _apply_overrides(coordinate, type_name, merged, use, errors)
    if len(errors) == before:
        # With broken overrides, who resolves the field is unknown: sharing would be noise.
        _check_sharing(coordinate, merged, resolving_graphs, label_overridden, errors)
    return merged


def _apply_overrides(
    coordinate: str, type_name: str, merged: MergedField, use: FieldUse, errors: Errors
) -> set[str]:
    """Resolve `@override`s; returns the graphs overridden progressively (with a label)."""
    label_overridden: set[str] = set()
    for source in list(merged.sources.values()):
        origin = merged.sources.get(source.override or "")
        if source.override is None or origin is None or origin is source:
            continue
        if origin.override is not None:
            if origin.override == source.graph and origin.graph < source.graph:
                continue  # the pair overrides each other: reported once, from the other side
            errors.add(
                Code.OVERRIDE_SOURCE_HAS_OVERRIDE,
                f'Field "{coordinate}" on subgraph "{source.graph}" is also marked with directive'
                f' @override in subgraph "{origin.graph}". Only one @override directive is'
                " allowed per field.",
                sorted((source.graph, origin.graph)),
                coordinate,
            )
            continue
        if source.override_label is not None:
            origin.override_label = source.override_label
            label_overridden.add(origin.graph)
            if origin.requires is not None:
                errors.add(
                    Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                    f"@override with label (progressive override) cannot be used on field"
                    f' "{coordinate}" on subgraph "{source.graph}" since "{coordinate}" on'
                    f' "{origin.graph}" is marked with directive "@requires"',
                    sorted((source.graph, origin.graph)),
                    coordinate,
                )
            continue
        if origin.external:
            continue
        pair = (type_name, merged.name)
        if pair in use.keys.get(origin.graph, set()) or pair in use.requires.get(
            origin.graph, set()
        ):
            origin.used_overridden = True
        else:
            del merged.sources[origin.graph]
    return label_overridden


def _check_sharing(
    coordinate: str,
    merged: MergedField,
    resolving_graphs: set[str],
    label_overridden: set[str],
    errors: Errors,
) -> None:
    resolvers = [
        s
        for s in merged.sources.values()
        if s.graph in resolving_graphs
        and not s.external
        and not s.used_overridden
        and s.graph not in label_overridden
    ]
    sources = list(merged.sources.values())
    if any(s.external for s in sources) and all(s.external for s in sources):
        external = sorted(s.graph for s in sources)
        errors.add(
            Code.EXTERNAL_MISSING_ON_BASE,
            f'Field "{coordinate}" is marked @external on all the subgraphs in which it is'
            f" listed ({', '.join(repr(g) for g in external)}).",
            external,
            coordinate,
        )
        return
    if len(resolvers) < 2:
        return
    unshared = [s.graph for s in resolvers if not s.shareable]
    if unshared:
        graphs = [s.graph for s in resolvers]
        errors.add(
            Code.INVALID_FIELD_SHARING,
            f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs: it is'
            f" resolved from subgraphs {_quoted(graphs)} and defined as non-shareable in"
            f" subgraph{'s' if len(unshared) > 1 else ''} {_quoted(unshared)}",
            sorted(graphs),
            coordinate,
        )


def _type_mismatch(
    code: str, coordinate: str, declarations: Sequence[Declaration], errors: Errors
) -> None:
    detail = ", ".join(
        f'"{print_ast(d.type)}" in subgraph "{sg.name}"' for sg, _, d in declarations
    )
    errors.add(
        code,
        f'Type of field "{coordinate}" is incompatible across subgraphs: it has type {detail}',
        sorted(sg.name for sg, _, _ in declarations),
        coordinate,
    )


def _quoted(names: Sequence[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"
