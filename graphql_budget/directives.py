"""The cost spec's directives in a supergraph: `@cost` weights and `@listSize`, read once.

IBM's GraphQL Cost Directive specification, as Apollo Federation links it:
`@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@cost", "@listSize"])`,
possibly renamed with `as`. Supergraphs composed with `@composeDirective` may
instead link IBM's own URL. Without such a link, directives named `cost` and
`listSize` are read as the spec's (a supergraph written by hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    ValueNode,
)

COST_SPEC_IDENTITIES = (
    "https://specs.apollo.dev/cost",
    "https://ibm.github.io/graphql-specs/cost-spec.html",
)
ELEMENTS = ("cost", "listSize")

Coordinate = tuple[str, str]  # (type, field)


@dataclass(frozen=True, slots=True)
class ListSize:
    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


@dataclass(frozen=True, slots=True)
class CostDirectives:
    """Every weight and list size the supergraph states; empty when it states none."""

    type_weights: Mapping[str, int] = field(default_factory=dict)
    field_weights: Mapping[Coordinate, int] = field(default_factory=dict)
    # (type, field, argument) of output fields; (input type, field, "") of input fields.
    argument_weights: Mapping[tuple[str, str, str], int] = field(default_factory=dict)
    list_sizes: Mapping[Coordinate, ListSize] = field(default_factory=dict)
    names: frozenset[str] = frozenset()  # the directives' names in this supergraph


def read_costs(document: DocumentNode) -> CostDirectives:
    names = _local_names(document)
    cost, list_size = names["cost"], names["listSize"]
    types: dict[str, int] = {}
    fields: dict[Coordinate, int] = {}
    arguments: dict[tuple[str, str, str], int] = {}
    sizes: dict[Coordinate, ListSize] = {}
    for definition in document.definitions:
        if not isinstance(definition, (TypeDefinitionNode, TypeExtensionNode)):
            continue
        type_name = definition.name.value
        weight = _weight(definition, cost)
        if weight is not None:
            types[type_name] = weight
        is_input = isinstance(
            definition, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)
        )
        for node in getattr(definition, "fields", None) or ():
            name = node.name.value
            weight = _weight(node, cost)
            if is_input:
                if weight is not None:
                    arguments[(type_name, name, "")] = weight
                continue
            if weight is not None:
                fields[(type_name, name)] = weight
            size = _list_size(node, list_size)
            if size is not None:
                sizes[(type_name, name)] = size
            for argument in getattr(node, "arguments", None) or ():
                weight = _weight(argument, cost)
                if weight is not None:
                    arguments[(type_name, name, argument.name.value)] = weight
    return CostDirectives(types, fields, arguments, sizes, frozenset((cost, list_size)))


def _local_names(document: DocumentNode) -> dict[str, str]:
    """The names `cost` and `listSize` go by here, from the supergraph's `@link`s."""
    names = {element: element for element in ELEMENTS}
    for definition in document.definitions:
        for directive in getattr(definition, "directives", None) or ():
            if directive.name.value != "link":
                continue
            args = {a.name.value: a.value for a in directive.arguments or ()}
            url = args.get("url")
            if not isinstance(url, StringValueNode):
                continue
            identity = url.value.rstrip("/")
            if not identity.startswith(COST_SPEC_IDENTITIES):
                continue
            namespace = args.get("as")
            prefix = namespace.value if isinstance(namespace, StringValueNode) else "cost"
            # As @link names things: the element named like the spec goes by
            # the namespace itself, the others by `namespace__element`.
            names = {"cost": prefix, "listSize": f"{prefix}__listSize"}
            for name, alias in _imports(args.get("import")):
                if name.lstrip("@") in ELEMENTS:
                    names[name.lstrip("@")] = alias.lstrip("@")
    return names


def _imports(value: ValueNode | None) -> list[tuple[str, str]]:
    items = value.values if isinstance(value, ListValueNode) else ()
    found: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, StringValueNode):
            found.append((item.value, item.value))
        elif isinstance(item, ObjectValueNode):
            parts = {f.name.value: f.value for f in item.fields}
            name, alias = parts.get("name"), parts.get("as")
            if isinstance(name, StringValueNode):
                as_name = alias.value if isinstance(alias, StringValueNode) else name.value
                found.append((name.value, as_name))
    return found


def _directive(node: object, name: str) -> DirectiveNode | None:
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value == name:
            return directive  # type: ignore[no-any-return]  # graphql-core types the tuple loosely
    return None


def _weight(node: object, name: str) -> int | None:
    directive = _directive(node, name)
    if directive is None:
        return None
    for argument in directive.arguments or ():
        if argument.name.value == "weight" and isinstance(argument.value, IntValueNode):
            return int(argument.value.value)
    return None


def _list_size(node: object, name: str) -> ListSize | None:
    directive = _directive(node, name)
    if directive is None:
        return None
    args = {a.name.value: a.value for a in directive.arguments or ()}
    assumed = args.get("assumedSize")
    require = args.get("requireOneSlicingArgument")
    return ListSize(
        assumed_size=int(assumed.value) if isinstance(assumed, IntValueNode) else None,
        slicing_arguments=_strings(args.get("slicingArguments")),
        sized_fields=_strings(args.get("sizedFields")),
        require_one_slicing_argument=not isinstance(require, BooleanValueNode) or require.value,
    )


def _strings(value: ValueNode | None) -> tuple[str, ...]:
    items = value.values if isinstance(value, ListValueNode) else ()
    return tuple(item.value for item in items if isinstance(item, StringValueNode))
