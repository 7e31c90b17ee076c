"""Every change between two API schemas, classified.

Output positions may narrow (`Int` -> `Int!` is safe for readers) and input
positions may widen (`Int!` -> `Int` is safe for writers); anything else that
changes a type breaks someone. Added enum values, union members and
interfaces are dangerous: clients that switch over them meet a value they do
not know. Changed defaults are dangerous: the same request means something new.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    is_required_argument,
    is_required_input_field,
    is_specified_scalar_type,
    print_ast,
)

from shopgraph.schema_registry.changes import Change, ChangeCode, Criticality
from shopgraph.schema_registry.roots import directive_changes, root_changes
from shopgraph.schema_registry.variance import safe_input, safe_output

B, D, S = Criticality.BREAKING, Criticality.DANGEROUS, Criticality.SAFE


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    changes = [*root_changes(old, new), *directive_changes(old, new)]
    old_types, new_types = _user_types(old), _user_types(new)
    for name in sorted(old_types.keys() - new_types.keys()):
        changes.append(Change(name, ChangeCode.TYPE_REMOVED, B, f"Type {name} was removed", name))
    for name in sorted(new_types.keys() - old_types.keys()):
        changes.append(Change(name, ChangeCode.TYPE_ADDED, S, f"Type {name} was added", name))
    for name in sorted(old_types.keys() & new_types.keys()):
        changes.extend(_type(old_types[name], new_types[name]))
    return sorted(changes)


def _user_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    # Built-in scalars come and go from the type map with their use; they never change.
    return {
        n: t
        for n, t in schema.type_map.items()
        if not n.startswith("__") and not is_specified_scalar_type(t)
    }


def _required(required: bool) -> str:
    return "Required" if required else "Optional"


def _kind(named: GraphQLNamedType) -> str:
    return type(named).__name__.removeprefix("GraphQL").removesuffix("Type")


def _type(old: GraphQLNamedType, new: GraphQLNamedType) -> Iterator[Change]:
    name = old.name
    if type(old) is not type(new):
        yield Change(
            name,
            ChangeCode.TYPE_KIND_CHANGED,
            B,
            f"{name} changed from {_kind(old)} to {_kind(new)}",
            name,
        )
        return
    if (old.description or None) != (new.description or None):
        yield Change(
            name, ChangeCode.TYPE_DESCRIPTION_CHANGED, S, f"Description of {name} changed", name
        )
    if isinstance(old, GraphQLObjectType | GraphQLInterfaceType) and isinstance(
        new, GraphQLObjectType | GraphQLInterfaceType
    ):
        yield from _interfaces(old, new)
        yield from _fields(old, new)
    elif isinstance(old, GraphQLInputObjectType) and isinstance(new, GraphQLInputObjectType):
        yield from _input_fields(old, new)
    elif isinstance(old, GraphQLEnumType) and isinstance(new, GraphQLEnumType):
        yield from _enum_values(old, new)
    elif isinstance(old, GraphQLUnionType) and isinstance(new, GraphQLUnionType):
        before = {t.name for t in old.types}
        after = {t.name for t in new.types}
        for member in sorted(before - after):
            yield Change(
                f"{name}.{member}",
                ChangeCode.UNION_MEMBER_REMOVED,
                B,
                f"Member {member} was removed from union {name}",
                name,
            )
        for member in sorted(after - before):
            yield Change(
                f"{name}.{member}",
                ChangeCode.UNION_MEMBER_ADDED,
                D,
                f"Member {member} was added to union {name}",
                name,
            )


def _interfaces(
    old: GraphQLObjectType | GraphQLInterfaceType, new: GraphQLObjectType | GraphQLInterfaceType
) -> Iterator[Change]:
    before = {i.name for i in old.interfaces}
    after = {i.name for i in new.interfaces}
    for interface in sorted(before - after):
        yield Change(
            old.name,
            ChangeCode.OBJECT_TYPE_INTERFACE_REMOVED,
            B,
            f"{old.name} no longer implements {interface}",
            interface,
        )
    for interface in sorted(after - before):
        yield Change(
            old.name,
            ChangeCode.OBJECT_TYPE_INTERFACE_ADDED,
            D,
            f"{old.name} now implements {interface}",
            interface,
        )


def _fields(
    old: GraphQLObjectType | GraphQLInterfaceType, new: GraphQLObjectType | GraphQLInterfaceType
) -> Iterator[Change]:
    for field_name in sorted(old.fields.keys() - new.fields.keys()):
        coordinate = f"{old.name}.{field_name}"
        deprecated = old.fields[field_name].deprecation_reason is not None
        yield Change(
            coordinate,
            ChangeCode.FIELD_REMOVED,
            B,
            f"Field {coordinate} was removed" + (" (it was deprecated)" if deprecated else ""),
            coordinate,
        )
    for field_name in sorted(new.fields.keys() - old.fields.keys()):
        coordinate = f"{old.name}.{field_name}"
        yield Change(
            coordinate, ChangeCode.FIELD_ADDED, S, f"Field {coordinate} was added", coordinate
        )
    for field_name in sorted(old.fields.keys() & new.fields.keys()):
        yield from _field(
            f"{old.name}.{field_name}", old.fields[field_name], new.fields[field_name]
        )


def _field(coordinate: str, old: GraphQLField, new: GraphQLField) -> Iterator[Change]:
    if str(old.type) != str(new.type):
        safe = safe_output(old.type, new.type)
        yield Change(
            coordinate,
            ChangeCode.FIELD_TYPE_CHANGED,
            S if safe else B,
            f"Field {coordinate} changed type from {old.type} to {new.type}",
            coordinate,
        )
    if (old.description or None) != (new.description or None):
        yield Change(
            coordinate,
            ChangeCode.FIELD_DESCRIPTION_CHANGED,
            S,
            f"Description of {coordinate} changed",
            coordinate,
        )
    yield from _deprecation(coordinate, old.deprecation_reason, new.deprecation_reason, field=True)
    for arg in sorted(old.args.keys() - new.args.keys()):
        arg_coordinate = f"{coordinate}({arg}:)"
        yield Change(
            arg_coordinate,
            ChangeCode.FIELD_ARGUMENT_REMOVED,
            B,
            f"Argument {arg} was removed from {coordinate}",
            arg_coordinate,
        )
    for arg in sorted(new.args.keys() - old.args.keys()):
        required = is_required_argument(new.args[arg])
        yield Change(
            f"{coordinate}({arg}:)",
            ChangeCode.FIELD_ARGUMENT_ADDED,
            B if required else S,
            f"{_required(required)} argument {arg} was added to {coordinate}",
            coordinate,
        )
    for arg in sorted(old.args.keys() & new.args.keys()):
        yield from _input_value(
            f"{coordinate}({arg}:)",
            old.args[arg],
            new.args[arg],
            (ChangeCode.FIELD_ARGUMENT_TYPE_CHANGED, ChangeCode.FIELD_ARGUMENT_DEFAULT_CHANGED),
        )


def _input_value(
    coordinate: str,
    old: GraphQLArgument | GraphQLInputField,
    new: GraphQLArgument | GraphQLInputField,
    codes: tuple[ChangeCode, ChangeCode],  # (type changed, default changed)
) -> Iterator[Change]:
    """An argument or input field kept under its name: its type, default and deprecation."""
    argument = isinstance(old, GraphQLArgument)
    what = "Argument" if argument else "Input field"
    if str(old.type) != str(new.type):
        safe = safe_input(old.type, new.type)
        yield Change(
            coordinate,
            codes[0],
            S if safe else B,
            f"{what} {coordinate} changed type from {old.type} to {new.type}",
            coordinate,
        )
    before, after = _default(old), _default(new)
    if before != after:
        yield Change(
            coordinate,
            codes[1],
            D,
            f"Default of {coordinate} changed from {before or 'none'} to {after or 'none'}",
            coordinate,
        )
    # Deprecating an argument or input field is safe; taking it back, as for fields,
    # is dangerous: tools that steered clients away from it stop doing so.
    added, removed = (
        (ChangeCode.FIELD_ARGUMENT_DEPRECATION_ADDED, ChangeCode.FIELD_ARGUMENT_DEPRECATION_REMOVED)
        if argument
        else (ChangeCode.INPUT_FIELD_DEPRECATION_ADDED, ChangeCode.INPUT_FIELD_DEPRECATION_REMOVED)
    )
    if old.deprecation_reason is None and new.deprecation_reason is not None:
        yield Change(
            coordinate,
            added,
            S,
            f"{what} {coordinate} was deprecated: {new.deprecation_reason}",
            coordinate,
        )
    elif old.deprecation_reason is not None and new.deprecation_reason is None:
        yield Change(
            coordinate, removed, D, f"{what} {coordinate} is no longer deprecated", coordinate
        )


def _input_fields(old: GraphQLInputObjectType, new: GraphQLInputObjectType) -> Iterator[Change]:
    for name in sorted(old.fields.keys() - new.fields.keys()):
        coordinate = f"{old.name}.{name}"
        yield Change(
            coordinate,
            ChangeCode.INPUT_FIELD_REMOVED,
            B,
            f"Input field {coordinate} was removed",
            coordinate,
        )
    for name in sorted(new.fields.keys() - old.fields.keys()):
        coordinate = f"{old.name}.{name}"
        required = is_required_input_field(new.fields[name])
        yield Change(
            coordinate,
            ChangeCode.INPUT_FIELD_ADDED,
            B if required else S,
            f"{_required(required)} input field {coordinate} was added",
            old.name,
        )
    for name in sorted(old.fields.keys() & new.fields.keys()):
        yield from _input_value(
            f"{old.name}.{name}",
            old.fields[name],
            new.fields[name],
            (ChangeCode.INPUT_FIELD_TYPE_CHANGED, ChangeCode.INPUT_FIELD_DEFAULT_VALUE_CHANGED),
        )


def _enum_values(old: GraphQLEnumType, new: GraphQLEnumType) -> Iterator[Change]:
    for value in sorted(old.values.keys() - new.values.keys()):
        coordinate = f"{old.name}.{value}"
        yield Change(
            coordinate,
            ChangeCode.ENUM_VALUE_REMOVED,
            B,
            f"Enum value {coordinate} was removed",
            old.name,
        )
    for value in sorted(new.values.keys() - old.values.keys()):
        coordinate = f"{old.name}.{value}"
        yield Change(
            coordinate,
            ChangeCode.ENUM_VALUE_ADDED,
            D,
            f"Enum value {coordinate} was added",
            old.name,
        )
    for value in sorted(old.values.keys() & new.values.keys()):
        before = old.values[value].deprecation_reason
        after = new.values[value].deprecation_reason
        coordinate = f"{old.name}.{value}"
        if before is None and after is not None:
            yield Change(
                coordinate,
                ChangeCode.ENUM_VALUE_DEPRECATION_ADDED,
                S,
                f"Enum value {coordinate} was deprecated: {after}",
                old.name,
            )
        elif before is not None and after is None:
            yield Change(
                coordinate,
                ChangeCode.ENUM_VALUE_DEPRECATION_REMOVED,
                S,
                f"Enum value {coordinate} is no longer deprecated",
                old.name,
            )


def _deprecation(
    coordinate: str, before: str | None, after: str | None, *, field: bool
) -> Iterator[Change]:
    if before is None and after is not None:
        yield Change(
            coordinate,
            ChangeCode.FIELD_DEPRECATION_ADDED,
            S,
            f"Field {coordinate} was deprecated: {after}",
            coordinate,
        )
    elif before is not None and after is None:
        yield Change(
            coordinate,
            ChangeCode.FIELD_DEPRECATION_REMOVED,
            D,
            f"Field {coordinate} is no longer deprecated",
            coordinate,
        )
    elif before != after:
        yield Change(
            coordinate,
            ChangeCode.FIELD_DEPRECATION_REASON_CHANGED,
            S,
            f"Deprecation reason of {coordinate} changed to: {after}",
            coordinate,
        )


def _default(element: GraphQLArgument | GraphQLInputField) -> str | None:
    node = element.ast_node
    if node is None or node.default_value is None:
        return None
    return print_ast(node.default_value)
