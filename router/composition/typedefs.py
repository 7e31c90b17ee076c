"""Reading a subgraph's (stripped, validated) type definitions into the model.

Definitions and extensions of one type merge into one `TypeDef`; directives are
recognised by what the subgraph's `Names` say they stand for.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    ValueNode,
)

from router.composition.errors import Code, Errors
from router.composition.links import Names
from router.composition.model import (
    EnumValue,
    Field,
    InputValue,
    Key,
    Kind,
    ListSize,
    Meta,
    Subgraph,
    TypeDef,
)
from router.composition.specs import UNSUPPORTED_DIRECTIVES

_KINDS: dict[type[Any], Kind] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


class _Reader:
    def __init__(self, names: Names, subgraph: Subgraph, errors: Errors) -> None:
        self.names = names
        self.subgraph = subgraph
        self.errors = errors
        self.composed = set(subgraph.composed)

    def canonical(self, directive: ConstDirectiveNode) -> str | None:
        return self.names.canonical(directive.name.value)

    def error(self, code: str, message: str, coordinate: str) -> None:
        name = self.subgraph.name
        self.errors.add(code, f"[{name}] {message}", (name,), coordinate)

    def meta(self, node: Any, meta: Meta, coordinate: str) -> Meta:
        description = getattr(node, "description", None)
        if description is not None and meta.description is None:
            meta.description = description.value
        for directive in node.directives or ():
            local = directive.name.value
            canonical = self.canonical(directive)
            args = {a.name.value: a.value for a in directive.arguments or ()}
            if canonical == "inaccessible":
                meta.inaccessible = True
            elif canonical == "tag":
                tag = _string(args.get("name"))
                if tag is not None and tag not in meta.tags:
                    meta.tags.append(tag)
            elif canonical == "authenticated":
                meta.authenticated = True
            elif canonical == "requiresScopes":
                meta.scopes = _string_lists(args.get("scopes"))
            elif canonical == "policy":
                meta.policies = _string_lists(args.get("policies"))
            elif canonical == "cost":
                meta.cost = _int(args.get("weight"))
            elif canonical == "listSize":
                meta.list_size = _list_size(args)
                if (meta.list_size.assumed_size or 0) < 0:
                    self.error(
                        Code.LIST_SIZE_INVALID_ASSUMED_SIZE,
                        f'"{coordinate}" has negative @listSize(assumedSize:) value',
                        coordinate,
                    )
            elif canonical in UNSUPPORTED_DIRECTIVES:
                self.error(
                    Code.UNSUPPORTED_FEATURE,
                    f'directive "@{local}" is not supported by this composition',
                    coordinate,
                )
            elif local == "deprecated":
                meta.deprecated = directive
            elif local == "specifiedBy":
                meta.specified_by = directive
            elif local in self.composed:
                meta.composed.append(directive)
        return meta

    def read(self, document: DocumentNode) -> None:
        based: set[str] = set()
        extends: set[str] = set()
        for definition in document.definitions:
            if not isinstance(definition, (TypeDefinitionNode, TypeExtensionNode)):
                continue
            name = definition.name.value
            typedef = self.subgraph.types.get(name)
            if typedef is None:
                typedef = self.subgraph.types[name] = TypeDef(name, _KINDS[type(definition)])
            if isinstance(definition, TypeDefinitionNode):
                based.add(name)
            self.meta(definition, typedef.meta, name)
            type_directives = {self.canonical(d) for d in definition.directives or ()}
            if "extends" in type_directives:
                extends.add(name)
            if "interfaceObject" in type_directives:
                typedef.interface_object = True
            self.keys(definition, typedef, isinstance(definition, TypeExtensionNode))
            for interface in getattr(definition, "interfaces", None) or ():
                if interface.name.value not in typedef.interfaces:
                    typedef.interfaces.append(interface.name.value)
            for member in getattr(definition, "types", None) or ():
                if member.name.value not in typedef.members:
                    typedef.members.append(member.name.value)
            for value in getattr(definition, "values", None) or ():
                coordinate = f"{name}.{value.name.value}"
                typedef.values[value.name.value] = EnumValue(
                    value.name.value, self.meta(value, Meta(), coordinate)
                )
            if typedef.kind == "input":
                for input_field in getattr(definition, "fields", None) or ():
                    value = self.input_value(input_field, f"{name}.{input_field.name.value}")
                    typedef.input_fields[value.name] = value
            elif typedef.kind in ("object", "interface"):
                for field_node in getattr(definition, "fields", None) or ():
                    typedef.fields[field_node.name.value] = self.field(
                        field_node, name, type_directives
                    )
        for name, typedef in self.subgraph.types.items():
            typedef.extension = name in extends or name not in based

    def keys(self, definition: Any, typedef: TypeDef, on_extension: bool) -> None:
        extends = any(self.canonical(d) == "extends" for d in definition.directives or ())
        for directive in definition.directives or ():
            if self.canonical(directive) != "key":
                continue
            args = {a.name.value: a.value for a in directive.arguments or ()}
            fields = _string(args.get("fields"))
            if fields is None:
                self.error(
                    Code.KEY_INVALID_FIELDS_TYPE,
                    f'On type "{typedef.name}", for @key: the "fields" argument must be a string',
                    typedef.name,
                )
                continue
            resolvable_arg = args.get("resolvable")
            resolvable = not isinstance(resolvable_arg, BooleanValueNode) or resolvable_arg.value
            key = Key(fields, resolvable, on_extension or extends)
            if key not in typedef.keys:
                typedef.keys.append(key)

    def field(self, node: Any, type_name: str, type_directives: set[str | None]) -> Field:
        coordinate = f"{type_name}.{node.name.value}"
        args = {
            arg.name.value: self.input_value(arg, f"{coordinate}({arg.name.value}:)")
            for arg in node.arguments or ()
        }
        result = Field(node.name.value, node.type, args, self.meta(node, Meta(), coordinate))
        result.shareable = "shareable" in type_directives
        result.external = "external" in type_directives
        for directive in node.directives or ():
            canonical = self.canonical(directive)
            values = {a.name.value: a.value for a in directive.arguments or ()}
            if canonical == "shareable":
                result.shareable = True
            elif canonical == "external":
                result.external = True
            elif canonical in ("requires", "provides"):
                fields = _string(values.get("fields"))
                if fields is None:
                    code = (
                        Code.REQUIRES_INVALID_FIELDS_TYPE
                        if canonical == "requires"
                        else Code.PROVIDES_INVALID_FIELDS_TYPE
                    )
                    self.error(
                        code,
                        f'On field "{coordinate}", for @{canonical}: the "fields" argument'
                        " must be a string",
                        coordinate,
                    )
                elif canonical == "requires":
                    result.requires = fields
                else:
                    result.provides = fields
            elif canonical == "override":
                result.override_from = _string(values.get("from"))
                result.override_label = _string(values.get("label"))
        return result

    def input_value(self, node: InputValueDefinitionNode, coordinate: str) -> InputValue:
        return InputValue(
            node.name.value, node.type, node.default_value, self.meta(node, Meta(), coordinate)
        )


def read_types(document: DocumentNode, names: Names, subgraph: Subgraph, errors: Errors) -> None:
    _Reader(names, subgraph, errors).read(document)


def _string(value: ValueNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _int(value: ValueNode | None) -> int | None:
    return int(value.value) if isinstance(value, IntValueNode) else None


def _strings(value: ValueNode | None) -> tuple[str, ...] | None:
    if value is None or isinstance(value, NullValueNode):
        return None
    items = value.values if isinstance(value, ListValueNode) else (value,)
    return tuple(item.value for item in items if isinstance(item, StringValueNode))


def _list_size(args: dict[str, ValueNode]) -> ListSize:
    require = args.get("requireOneSlicingArgument")
    return ListSize(
        assumed_size=_int(args.get("assumedSize")),
        slicing_arguments=_strings(args.get("slicingArguments")),
        sized_fields=_strings(args.get("sizedFields")),
        require_one_slicing_argument=not isinstance(require, BooleanValueNode) or require.value,
    )


def _string_lists(value: ValueNode | None) -> list[list[str]]:
    if not isinstance(value, ListValueNode):
        return []
    result: list[list[str]] = []
    for inner in value.values:
        items = inner.values if isinstance(inner, ListValueNode) else (inner,)
        result.append([item.value for item in items if isinstance(item, StringValueNode)])
    return result
