"""Finding a schema coordinate in subgraph SDL text, for annotations that point at a line.

A removed element is no longer in the proposed SDL: its closest surviving
parent (the type of a removed field) is pointed at instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from graphql import GraphQLError, Node, parse


@dataclass(frozen=True)
class SdlPosition:
    subgraph: str
    line: int
    column: int


def _index(sdl: str) -> dict[str, tuple[int, int]]:
    try:
        document = parse(sdl)
    except GraphQLError:
        return {}
    found: dict[str, tuple[int, int]] = {}

    def note(coordinate: str, node: Node) -> None:
        if node.loc is not None and coordinate not in found:
            found[coordinate] = (node.loc.start_token.line, node.loc.start_token.column)

    for definition in document.definitions:
        name_node = getattr(definition, "name", None)
        if name_node is None:
            continue
        type_name = name_node.value
        note(type_name, definition)
        for member in getattr(definition, "fields", None) or ():
            field_coordinate = f"{type_name}.{member.name.value}"
            note(field_coordinate, member)
            for argument in getattr(member, "arguments", None) or ():
                note(f"{field_coordinate}({argument.name.value}:)", argument)
        for value in getattr(definition, "values", None) or ():
            note(f"{type_name}.{value.name.value}", value)
    return found


def _parents(coordinate: str) -> Iterable[str]:
    yield coordinate
    if "(" in coordinate:
        coordinate = coordinate.split("(", 1)[0]
        yield coordinate
    if "." in coordinate:
        yield coordinate.split(".", 1)[0]


def locate(
    coordinate: str | None, sdls: Mapping[str, str], prefer: Iterable[str] = ()
) -> SdlPosition | None:
    """Where `coordinate` (or its closest parent) is defined, searching `prefer` first."""
    if coordinate is None:
        return None
    order = [*dict.fromkeys([*prefer, *sorted(sdls)])]
    indexes = {name: _index(sdls[name]) for name in order if name in sdls}
    for candidate in _parents(coordinate):
        for name, index in indexes.items():
            if candidate in index:
                line, column = index[candidate]
                return SdlPosition(name, line, column)
    return None
