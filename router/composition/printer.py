"""Printing the merged model as an Apollo-format supergraph SDL.

The output links `link/v1.0` and `join/v0.3` (v0.5 when an `@override` has a
label), plus the specs of carried directives that are used (`inaccessible`,
`tag`, `authenticated`, `requiresScopes`, `policy`), the cost spec importing
the `@cost` / `@listSize` it uses, and the specs of composed custom
directives. A field carries `@join__field` only when the subgraphs of its type
do not all resolve it plainly; a field an `@interfaceObject` adds to an
implementation carries a bare `@join__field`.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import print_ast
from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

from router.composition.merged import FieldSource, Merged, MergedField, MergedInput, MergedType
from router.composition.model import ROOT_TYPES, Meta
from router.composition.specs import (
    CARRIED_SPECS,
    COST_DEFINITIONS,
    COST_ELEMENTS,
    COST_URL,
    JOIN_V03,
    JOIN_V05,
    LINK_DEFINITIONS,
    SPECS_HOST,
)
from router.composition.typeref import printed

_KIND_ORDER = ("scalar", "object", "interface", "union", "enum", "input")
_KEYWORDS = {
    "object": "type",
    "interface": "interface",
    "union": "union",
    "enum": "enum",
    "input": "input",
    "scalar": "scalar",
}


class _Printer:
    def __init__(self, merged: Merged, graph_ids: dict[str, str]) -> None:
        self.merged = merged
        self.ids = graph_ids
        self.specs: set[str] = set()
        self.cost: set[str] = set()  # cost spec elements used
        self.labels = False

    def graph(self, name: str) -> str:
        return self.ids[name]

    def print(self) -> str:
        types = [self.type(t) for t in _ordered(self.merged.types.values())]
        blocks = [self.schema(), JOIN_V05 if self.labels else JOIN_V03, LINK_DEFINITIONS]
        blocks.extend(CARRIED_SPECS[spec][2] for spec in CARRIED_SPECS if spec in self.specs)
        blocks.extend(COST_DEFINITIONS[e] for e in COST_ELEMENTS if e in self.cost)
        blocks.append(self.graph_enum())
        blocks.extend(c.definition for c in self.merged.composed.values())
        blocks.extend(types)
        return "\n\n".join(block.strip("\n") for block in blocks) + "\n"

    def schema(self) -> str:
        join = "v0.5" if self.labels else "v0.3"
        links = [
            f'@link(url: "{SPECS_HOST}link/v1.0")',
            f'@link(url: "{SPECS_HOST}join/{join}", for: EXECUTION)',
        ]
        for spec, (url, purpose, _) in CARRIED_SPECS.items():
            if spec in self.specs:
                links.append(f'@link(url: "{url}"' + (f", for: {purpose})" if purpose else ")"))
        if self.cost:
            imports = ", ".join(f'"@{e}"' for e in COST_ELEMENTS if e in self.cost)
            links.append(f'@link(url: "{COST_URL}", import: [{imports}])')
        for composed in self.merged.composed.values():
            imports = f", import: [{composed.link_import}]" if composed.link_import else ""
            link = f'@link(url: "{composed.link_url}"{imports})'
            if link not in links:
                links.append(link)
        roots = [f"  {root.lower()}: {root}" for root in ROOT_TYPES if root in self.merged.types]
        return f"schema {' '.join(links)} {{\n" + "\n".join(roots) + "\n}"

    def graph_enum(self) -> str:
        lines = [
            f"  {self.graph(s.name)} @join__graph(name: {print_string(s.name)},"
            f" url: {print_string(s.url)})"
            for s in self.merged.subgraphs
        ]
        return "enum join__Graph {\n" + "\n".join(lines) + "\n}"

    def type(self, merged: MergedType) -> str:
        head = f"{_description(merged.meta.description, '')}{_KEYWORDS[merged.kind]} {merged.name}"
        if merged.interfaces:
            head += " implements " + " & ".join(merged.interfaces)
        directives = [*self.join_types(merged), *self.meta(merged.meta, merged.name)]
        head += "".join(f" {d}" for d in directives)
        if merged.kind == "union":
            members = merged.possible_members
            return head + (" = " + " | ".join(members) if members else "")
        if merged.kind == "scalar":
            return head
        if merged.kind == "enum":
            body = [self.enum_value(merged, name) for name in merged.values]
        elif merged.kind == "input":
            body = [self.input_field(value) for value in merged.input_fields.values()]
        else:
            body = [self.field(merged, field) for field in merged.fields.values()]
        return head + " {\n" + "\n".join(body) + "\n}"

    def join_types(self, merged: MergedType) -> list[str]:
        directives: list[str] = []
        for graph in merged.graphs.values():
            base = f"graph: {self.graph(graph.graph)}"
            if not graph.keys:
                extra = ", isInterfaceObject: true" if graph.interface_object else ""
                directives.append(f"@join__type({base}{extra})")
            for key in graph.keys:
                args = [base, f"key: {print_string(key.fields)}"]
                if key.extension:
                    args.append("extension: true")
                if not key.resolvable:
                    args.append("resolvable: false")
                if graph.interface_object:
                    args.append("isInterfaceObject: true")
                directives.append(f"@join__type({', '.join(args)})")
        for name, interfaces in merged.implements.items():
            directives.extend(
                f"@join__implements(graph: {self.graph(name)}, interface: {print_string(i)})"
                for i in interfaces
            )
        for name, members in merged.members.items():
            directives.extend(
                f"@join__unionMember(graph: {self.graph(name)}, member: {print_string(m)})"
                for m in members
            )
        return directives

    def field(self, parent: MergedType, field: MergedField) -> str:
        args = self.arguments(field.args.values())
        directives = [*self.join_fields(parent, field), *self.meta(field.meta, field.name)]
        return (
            f"{_description(field.meta.description, '  ')}  {field.name}{args}:"
            f" {printed(field.type)}" + "".join(f" {d}" for d in directives)
        )

    def join_fields(self, parent: MergedType, field: MergedField) -> list[str]:
        if field.from_interface_object:
            return ["@join__field"]
        sources = list(field.sources.values())
        types = {printed(s.type) for s in sources}
        differ = types != {printed(field.type)}
        special = any(_special(s) for s in sources)
        if set(field.sources) == set(parent.graphs) and not differ and not special:
            return []
        return [self.join_field(source, differ) for source in sources]

    def join_field(self, source: FieldSource, with_type: bool) -> str:
        args = [f"graph: {self.graph(source.graph)}"]
        if source.requires is not None:
            args.append(f"requires: {print_string(source.requires)}")
        if source.provides is not None:
            args.append(f"provides: {print_string(source.provides)}")
        if with_type:
            args.append(f"type: {print_string(printed(source.type))}")
        if source.external:
            args.append("external: true")
        if source.override is not None:
            args.append(f"override: {print_string(source.override)}")
        if source.used_overridden:
            args.append("usedOverridden: true")
        if source.override_label is not None:
            self.labels = True
            args.append(f"overrideLabel: {print_string(source.override_label)}")
        return f"@join__field({', '.join(args)})"

    def arguments(self, args: Iterable[MergedInput]) -> str:
        printed_args = [(a.meta.description, self.input_value(a)) for a in args]
        if not printed_args:
            return ""
        if not any(description for description, _ in printed_args):
            return "(" + ", ".join(text for _, text in printed_args) + ")"
        lines = [f"{_description(d, '    ')}    {text}" for d, text in printed_args]
        return "(\n" + "\n".join(lines) + "\n  )"

    def input_value(self, value: MergedInput) -> str:
        text = f"{value.name}: {printed(value.type)}"
        if value.default is not None:
            text += f" = {print_ast(value.default)}"
        return text + "".join(f" {d}" for d in self.meta(value.meta, value.name))

    def input_field(self, value: MergedInput) -> str:
        types = {printed(t) for t in value.types.values()}
        joins = []
        if types != {printed(value.type)}:
            joins = [
                f"@join__field(graph: {self.graph(g)}, type: {print_string(printed(t))})"
                for g, t in value.types.items()
            ]
        text = self.input_value(value)
        return f"{_description(value.meta.description, '  ')}  " + " ".join([text, *joins])

    def enum_value(self, merged: MergedType, name: str) -> str:
        value = merged.values[name]
        directives = [f"@join__enumValue(graph: {self.graph(g)})" for g in value.graphs]
        directives.extend(self.meta(value.meta, name))
        return f"{_description(value.meta.description, '  ')}  {name} " + " ".join(directives)

    def meta(self, meta: Meta, _element: str) -> list[str]:
        directives: list[str] = []
        if meta.inaccessible:
            self.specs.add("inaccessible")
            directives.append("@inaccessible")
        for tag in meta.tags:
            self.specs.add("tag")
            directives.append(f"@tag(name: {print_string(tag)})")
        if meta.authenticated:
            self.specs.add("authenticated")
            directives.append("@authenticated")
        if meta.scopes is not None:
            self.specs.add("requiresScopes")
            directives.append(f"@requiresScopes(scopes: {_lists(meta.scopes)})")
        if meta.policies is not None:
            self.specs.add("policy")
            directives.append(f"@policy(policies: {_lists(meta.policies)})")
        directives.extend(self.cost_directives(meta))
        for directive in (meta.deprecated, meta.specified_by):
            if directive is not None:
                directives.append(print_ast(directive))
        seen: set[str] = set()
        for directive in meta.composed:
            name = directive.name.value
            composed = self.merged.composed.get(name)
            if composed is None or (name in seen and not composed.repeatable):
                continue
            seen.add(name)
            directives.append(print_ast(directive))
        return directives

    def cost_directives(self, meta: Meta) -> list[str]:
        directives: list[str] = []
        if meta.cost is not None:
            self.cost.add("cost")
            directives.append(f"@cost(weight: {meta.cost})")
        size = meta.list_size
        if size is not None:
            self.cost.add("listSize")
            args = []
            if size.assumed_size is not None:
                args.append(f"assumedSize: {size.assumed_size}")
            if size.slicing_arguments is not None:
                args.append(f"slicingArguments: {_strings(size.slicing_arguments)}")
            if size.sized_fields is not None:
                args.append(f"sizedFields: {_strings(size.sized_fields)}")
            if not size.require_one_slicing_argument:
                args.append("requireOneSlicingArgument: false")
            directives.append(f"@listSize({', '.join(args)})" if args else "@listSize")
        return directives


def print_supergraph(merged: Merged, graph_ids: dict[str, str]) -> str:
    return _Printer(merged, graph_ids).print()


def _special(source: FieldSource) -> bool:
    return bool(
        source.external
        or source.requires is not None
        or source.provides is not None
        or source.override is not None
        or source.override_label is not None
        or source.used_overridden
    )


def _ordered(types: Iterable[MergedType]) -> list[MergedType]:
    listed = list(types)
    roots = [t for root in ROOT_TYPES for t in listed if t.name == root]
    rest = [t for t in listed if t.name not in ROOT_TYPES]
    return roots + sorted(rest, key=lambda t: _KIND_ORDER.index(t.kind))


def _description(text: str | None, indent: str) -> str:
    if not text:
        return ""
    block = print_block_string(text)
    return "\n".join(f"{indent}{line}" if line else line for line in block.split("\n")) + "\n"


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(print_string(v) for v in values) + "]"


def _lists(values: list[list[str]]) -> str:
    return (
        "["
        + ", ".join("[" + ", ".join(print_string(v) for v in inner) + "]" for inner in values)
        + "]"
    )
