"""Merging the input side and the simple types: arguments, input objects, enums,
unions and scalars.

Arguments and input fields intersect (a required one missing somewhere is an
error) and take the most restrictive type. Enums merge by how the supergraph
uses them: output-only enums take the union of values, input-only enums the
intersection, and enums used both ways must agree exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql import print_ast

from router.composition.errors import Code, Errors
from router.composition.fieldset import named_type
from router.composition.merged import MergedEnumValue, MergedInput, MergedType, TypeInGraph
from router.composition.meta import merge_meta
from router.composition.model import InputValue, Subgraph, TypeDef
from router.composition.typeref import is_required, merge_input

Defs = Sequence[tuple[Subgraph, TypeDef]]


@dataclass(frozen=True)
class InputCodes:
    kind: str  # "Argument" or "Input object field"
    missing: str
    type_mismatch: str
    default_mismatch: str


ARGUMENT = InputCodes(
    "Argument",
    Code.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
    Code.FIELD_ARGUMENT_TYPE_MISMATCH,
    Code.FIELD_ARGUMENT_DEFAULT_MISMATCH,
)
INPUT_FIELD = InputCodes(
    "Input object field",
    Code.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH,
    Code.FIELD_TYPE_MISMATCH,
    Code.INPUT_FIELD_DEFAULT_MISMATCH,
)


def merge_inputs(
    parent: str,
    per_graph: Sequence[tuple[str, dict[str, InputValue]]],
    codes: InputCodes,
    errors: Errors,
) -> dict[str, MergedInput]:
    """Intersect the arguments (or input fields) the graphs declare for one parent."""
    order: list[str] = []
    for _, values in per_graph:
        order.extend(name for name in values if name not in order)
    merged: dict[str, MergedInput] = {}
    for name in order:
        coordinate = f"{parent}({name}:)" if codes is ARGUMENT else f"{parent}.{name}"
        present = [(graph, values[name]) for graph, values in per_graph if name in values]
        missing = [graph for graph, values in per_graph if name not in values]
        if missing:
            required = [g for g, v in present if is_required(v.type, v.default is not None)]
            if required:
                errors.add(
                    codes.missing,
                    f'{codes.kind} "{coordinate}" is required in some subgraphs but does not'
                    f" appear in all subgraphs: it is required in {_graphs(required)} but does"
                    f" not appear in {_graphs(missing)}",
                    sorted([*required, *missing]),
                    coordinate,
                )
            continue
        value = _merge_one(coordinate, present, codes, errors)
        if value is not None:
            merged[name] = value
    return merged


def _merge_one(
    coordinate: str,
    present: list[tuple[str, InputValue]],
    codes: InputCodes,
    errors: Errors,
) -> MergedInput | None:
    merged_type = present[0][1].type
    for _, value in present[1:]:
        combined = merge_input(merged_type, value.type)
        if combined is None:
            detail = ", ".join(f'"{print_ast(v.type)}" in subgraph "{g}"' for g, v in present)
            errors.add(
                codes.type_mismatch,
                f'Type of {codes.kind.lower()} "{coordinate}" is incompatible across subgraphs:'
                f" it has type {detail}",
                sorted(g for g, _ in present),
                coordinate,
            )
            return None
        merged_type = combined
    defaults = {print_ast(v.default): (g, v.default) for g, v in present if v.default is not None}
    if len(defaults) > 1:
        detail = ", ".join(f'default value {d} in subgraph "{g}"' for d, (g, _) in defaults.items())
        errors.add(
            codes.default_mismatch,
            f'{codes.kind} "{coordinate}" has incompatible default values across subgraphs:'
            f" it has {detail}",
            sorted(g for g, _ in defaults.values()),
            coordinate,
        )
        return None
    default = next(iter(defaults.values()))[1] if defaults else None
    return MergedInput(
        present[0][1].name,
        merged_type,
        default,
        merge_meta(v.meta for _, v in present),
        {g: v.type for g, v in present},
    )


def merge_input_object(name: str, defs: Defs, errors: Errors) -> MergedType | None:
    merged = _base(name, defs)
    before = len(errors)
    merged.input_fields = merge_inputs(
        name, [(sg.name, d.input_fields) for sg, d in defs], INPUT_FIELD, errors
    )
    if not merged.input_fields and len(errors) == before:
        errors.add(
            Code.EMPTY_MERGED_INPUT_TYPE,
            f'None of the fields of input object type "{name}" are consistently defined in all'
            f" the subgraphs defining that type. As only fields common to all subgraphs are"
            f" merged, this would result in an empty type.",
            [sg.name for sg, _ in defs],
            name,
        )
        return None
    return merged


def merge_enum(
    name: str, defs: Defs, usage: tuple[bool, bool], errors: Errors
) -> MergedType | None:
    as_input, as_output = usage
    merged = _base(name, defs)
    graphs = [sg.name for sg, _ in defs]
    for sg, typedef in defs:
        for declared in typedef.values.values():
            entry = merged.values.setdefault(
                declared.name, MergedEnumValue(declared.name, declared.meta)
            )
            entry.graphs.append(sg.name)
    for value in list(merged.values.values()):
        value.meta = merge_meta(
            d.values[value.name].meta for _, d in defs if value.name in d.values
        )
        missing = [g for g in graphs if g not in value.graphs]
        if not missing:
            continue
        if as_input and as_output:
            errors.add(
                Code.ENUM_VALUE_MISMATCH,
                f'Enum type "{name}" is used as both input type and output type, but value'
                f' "{value.name}" is not defined in all the subgraphs defining "{name}":'
                f' "{value.name}" is defined in {_graphs(value.graphs)} but not in'
                f" {_graphs(missing)}",
                sorted(graphs),
                f"{name}.{value.name}",
            )
        elif as_input:
            del merged.values[value.name]
    if not merged.values:
        errors.add(
            Code.EMPTY_MERGED_ENUM_TYPE,
            f'None of the values of enum type "{name}" are defined consistently in all the'
            " subgraphs defining that type. As only values common to all subgraphs are merged"
            " (because the type is used as an input), this would result in an empty type.",
            sorted(graphs),
            name,
        )
        return None
    return merged


def merge_union(name: str, defs: Defs) -> MergedType:
    merged = _base(name, defs)
    for sg, typedef in defs:
        merged.members[sg.name] = list(typedef.members)
    return merged


def merge_scalar(name: str, defs: Defs) -> MergedType:
    return _base(name, defs)


def _base(name: str, defs: Defs) -> MergedType:
    merged = MergedType(name, defs[0][1].kind, merge_meta(d.meta for _, d in defs))
    for sg, _ in defs:
        merged.graphs[sg.name] = TypeInGraph(sg.name)
    return merged


def enum_usage(subgraphs: Sequence[Subgraph]) -> dict[str, tuple[bool, bool]]:
    """For each named type: (used as an input type, used as an output type), in any subgraph."""
    inputs: set[str] = set()
    outputs: set[str] = set()
    for subgraph in subgraphs:
        for typedef in subgraph.types.values():
            for field in typedef.fields.values():
                outputs.add(named_type(field.type))
                inputs.update(named_type(arg.type) for arg in field.args.values())
            inputs.update(named_type(f.type) for f in typedef.input_fields.values())
    return {name: (name in inputs, name in outputs) for name in inputs | outputs}


def _graphs(names: Sequence[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    label = "subgraph" if len(quoted) == 1 else "subgraphs"
    if len(quoted) > 1:
        return f"{label} {', '.join(quoted[:-1])} and {quoted[-1]}"
    return f"{label} {quoted[0]}"
