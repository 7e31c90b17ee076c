"""Type references across subgraphs: when two declarations of a field agree.

An output field may be declared with different types if one is a subtype of
the other (non-null of nullable, object of interface or union it belongs to);
the supergraph takes the most general. An argument or input field takes the
most restrictive (non-null if any declaration is), and named types must match.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

IsSubtype = Callable[[str, str], bool]


def merge_output(left: TypeNode, right: TypeNode, is_subtype: IsSubtype) -> TypeNode | None:
    """The most general of the two, or None when they are incompatible."""
    non_null = isinstance(left, NonNullTypeNode) and isinstance(right, NonNullTypeNode)
    inner_left = left.type if isinstance(left, NonNullTypeNode) else left
    inner_right = right.type if isinstance(right, NonNullTypeNode) else right
    merged: TypeNode | None
    if isinstance(inner_left, ListTypeNode) and isinstance(inner_right, ListTypeNode):
        item = merge_output(inner_left.type, inner_right.type, is_subtype)
        merged = ListTypeNode(type=item) if item is not None else None
    elif isinstance(inner_left, NamedTypeNode) and isinstance(inner_right, NamedTypeNode):
        a, b = inner_left.name.value, inner_right.name.value
        if a == b or is_subtype(b, a):
            merged = inner_left
        elif is_subtype(a, b):
            merged = inner_right
        else:
            merged = None
    else:
        merged = None
    if merged is None:
        return None
    return NonNullTypeNode(type=merged) if non_null else merged


def merge_input(left: TypeNode, right: TypeNode) -> TypeNode | None:
    """The most restrictive of the two, or None when they are incompatible."""
    non_null = isinstance(left, NonNullTypeNode) or isinstance(right, NonNullTypeNode)
    inner_left = left.type if isinstance(left, NonNullTypeNode) else left
    inner_right = right.type if isinstance(right, NonNullTypeNode) else right
    merged: TypeNode | None
    if isinstance(inner_left, ListTypeNode) and isinstance(inner_right, ListTypeNode):
        item = merge_input(inner_left.type, inner_right.type)
        merged = ListTypeNode(type=item) if item is not None else None
    elif isinstance(inner_left, NamedTypeNode) and isinstance(inner_right, NamedTypeNode):
        merged = inner_left if inner_left.name.value == inner_right.name.value else None
    else:
        merged = None
    if merged is None:
        return None
    return NonNullTypeNode(type=merged) if non_null else merged


def printed(type_node: TypeNode) -> str:
    return print_ast(type_node)


def is_required(type_node: TypeNode, has_default: bool) -> bool:
    return isinstance(type_node, NonNullTypeNode) and not has_default
