"""`@skip` / `@include`: whether a selection stays, under an operation's variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import BooleanValueNode, DirectiveNode, VariableNode


def included(directives: tuple[DirectiveNode, ...] | None, variables: Mapping[str, Any]) -> bool:
    """Whether `@skip` / `@include` keep a selection, under coerced `variables`."""
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        value = directive.arguments[0].value if directive.arguments else None
        if isinstance(value, BooleanValueNode):
            flag = value.value
        elif isinstance(value, VariableNode):
            flag = bool(variables.get(value.name.value))
        else:
            continue
        if flag == (name == "skip"):
            return False
    return True
