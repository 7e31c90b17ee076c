"""`@inaccessible` consistency: what the API schema hides must not leave holes in it.

An element hidden in any subgraph is hidden in the supergraph. A visible
field, argument or input field may not have a hidden type
(REFERENCED_INACCESSIBLE); a required argument or input field of a visible
parent may not be hidden (REQUIRED_INACCESSIBLE); the query root may not be
hidden (QUERY_ROOT_TYPE_INACCESSIBLE); a visible type may not have only
hidden fields, values or members (ONLY_INACCESSIBLE_CHILDREN); and a field an
implementation hides may not be visible on its visible interface
(IMPLEMENTED_BY_INACCESSIBLE).
"""

from __future__ import annotations

from collections.abc import Iterable

from router.composition.errors import Code, Errors
from router.composition.fieldset import named_type
from router.composition.merged import Merged, MergedInput, MergedType
from router.composition.typeref import is_required


class _Checker:
    def __init__(self, merged: Merged, errors: Errors) -> None:
        self.merged = merged
        self.errors = errors

    def hidden(self, type_name: str) -> bool:
        found = self.merged.types.get(type_name)
        return found is not None and found.meta.inaccessible

    def run(self) -> None:
        query = self.merged.types.get("Query")
        if query is not None and query.meta.inaccessible:
            self.errors.add(
                Code.QUERY_ROOT_TYPE_INACCESSIBLE,
                'Type "Query" is @inaccessible but is the query root type, which must be in the'
                " API schema.",
                sorted(query.graphs),
                "Query",
            )
        for merged_type in self.merged.types.values():
            if not merged_type.meta.inaccessible:
                self.visible_type(merged_type)

    def visible_type(self, parent: MergedType) -> None:
        graphs = sorted(parent.graphs)
        for field in parent.fields.values():
            coordinate = f"{parent.name}.{field.name}"
            if field.meta.inaccessible:
                self.implemented(parent, field.name, sorted(field.sources) or graphs)
                continue
            self.reference(coordinate, named_type(field.type), sorted(field.sources) or graphs)
            self.inputs(coordinate, field.args.values(), graphs, argument=True)
        self.inputs(parent.name, parent.input_fields.values(), graphs, argument=False)
        children: list[bool] = [f.meta.inaccessible for f in parent.fields.values()]
        children += [f.meta.inaccessible for f in parent.input_fields.values()]
        children += [v.meta.inaccessible for v in parent.values.values()]
        children += [self.hidden(m) for m in parent.possible_members]
        if children and all(children):
            self.errors.add(
                Code.ONLY_INACCESSIBLE_CHILDREN,
                f'Type "{parent.name}" is in the API schema but all of its members are'
                " @inaccessible.",
                graphs,
                parent.name,
            )

    def inputs(
        self, parent: str, values: Iterable[MergedInput], graphs: list[str], *, argument: bool
    ) -> None:
        for value in values:
            coordinate = f"{parent}({value.name}:)" if argument else f"{parent}.{value.name}"
            value_graphs = sorted(value.types) or graphs
            if not value.meta.inaccessible:
                self.reference(coordinate, named_type(value.type), value_graphs)
            elif is_required(value.type, value.default is not None):
                kind = "Argument" if argument else "Input field"
                self.errors.add(
                    Code.REQUIRED_INACCESSIBLE,
                    f'{kind} "{coordinate}" is @inaccessible but is required and its parent is'
                    " in the API schema.",
                    value_graphs,
                    coordinate,
                )

    def reference(self, coordinate: str, type_name: str, graphs: list[str]) -> None:
        if self.hidden(type_name):
            self.errors.add(
                Code.REFERENCED_INACCESSIBLE,
                f'Type "{type_name}" is @inaccessible but is referenced by "{coordinate}", which'
                " is in the API schema.",
                graphs,
                coordinate,
            )

    def implemented(self, parent: MergedType, field_name: str, graphs: list[str]) -> None:
        for interface_name in parent.interfaces:
            interface = self.merged.types.get(interface_name)
            if interface is None or interface.meta.inaccessible:
                continue
            field = interface.fields.get(field_name)
            if field is not None and not field.meta.inaccessible:
                self.errors.add(
                    Code.IMPLEMENTED_BY_INACCESSIBLE,
                    f'Field "{parent.name}.{field_name}" is @inaccessible but implements the'
                    f' interface field "{interface_name}.{field_name}", which is in the API'
                    " schema.",
                    graphs,
                    f"{parent.name}.{field_name}",
                )


def check_inaccessible(merged: Merged, errors: Errors) -> None:
    _Checker(merged, errors).run()
